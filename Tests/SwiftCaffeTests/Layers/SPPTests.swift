import CaffeProto
import XCTest
@testable import SwiftCaffe

/// SPP: a 4×4 image with pyramid height 2 by hand (level 0 = one 4×4 window, level 1 =
/// four 2×2 windows), a padded level, reshaping, finite-difference gradients, errors.
final class SPPTests: XCTestCase {
    func spp(_ text: String) throws -> Layer {
        try LayerTest.make("type: \"SPP\" spp_param { \(text) }")
    }

    func blob(_ shape: [Int], _ values: [Float]) -> Blob {
        let b = try! Blob(shape: shape)
        b.setData(values)
        return b
    }

    /// [1 5 2 0; 3 4 8 6; 7 0 1 2; 9 3 4 5]: quadrants [1 5; 3 4], [2 0; 8 6], [7 0; 9 3], [1 2; 4 5].
    var image: Blob { blob([1, 1, 4, 4], [1, 5, 2, 0, 3, 4, 8, 6, 7, 0, 1, 2, 9, 3, 4, 5]) }

    func testMaxPyramidHeightTwoByHand() throws {
        // Level 0: max of all = 9. Level 1: quadrant maxima 5, 8, 9, 5.
        let input = image
        let layer = try spp("pyramid_height: 2 pool: MAX")
        let top = try LayerTest.setUp(layer, bottom: [input])
        XCTAssertEqual(top[0].shape, [1, 5])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [9, 5, 8, 9, 5])
        // Each diff goes to its window's maximum: the 9 at index 12 wins level 0 and the
        // lower-left quadrant; 5 at index 1, 8 at 6, 5 at 15.
        top[0].setDiff([1, 10, 100, 1000, 10000])
        try layer.backward(top: top, propagateDown: [true], bottom: [input])
        var expected = [Float](repeating: 0, count: 16)
        expected[1] = 10; expected[6] = 100; expected[12] = 1001; expected[15] = 10000
        XCTAssertEqual(input.diffArray, expected)
    }

    func testAvePyramidHeightTwoByHand() throws {
        // Level 0: 60 / 16 = 3.75. Level 1: 13/4, 16/4, 19/4, 12/4.
        let input = image
        let layer = try spp("pyramid_height: 2 pool: AVE")
        let top = try LayerTest.setUp(layer, bottom: [input])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [3.75, 3.25, 4, 4.75, 3])
        // Level 0 spreads 16/16 = 1 everywhere; level 1 gives each quadrant its diff / 4.
        top[0].setDiff([16, 4, 8, 12, 20])
        try layer.backward(top: top, propagateDown: [true], bottom: [input])
        XCTAssertEqual(input.diffArray, [2, 2, 3, 3, 2, 2, 3, 3, 4, 4, 6, 6, 4, 4, 6, 6])
    }

    func testLevelWindows() {
        // k = ⌈H / 2^l⌉, pad = ⌊(k·2^l − H + 1) / 2⌋.
        XCTAssertTrue(SPPLayer.window(size: 4, level: 0) == (4, 0))
        XCTAssertTrue(SPPLayer.window(size: 4, level: 1) == (2, 0))
        XCTAssertTrue(SPPLayer.window(size: 5, level: 1) == (3, 1))   // 6 − 5 = 1 → pad 1
        XCTAssertTrue(SPPLayer.window(size: 13, level: 2) == (4, 2))  // 16 − 13 = 3 → pad 2
    }

    func testPaddedLevelTwoChannels() throws {
        // 5×3, x(h, w) = 3h + w (+15 on channel 1). Level 1: kernel 3×2, pad 1×1, stride 3×2:
        // rows {0,1} and {2,3,4}, columns {0} and {1,2}: maxima x(1,0)=3, x(1,2)=5, x(4,0)=12, x(4,2)=14.
        let input = blob([1, 2, 5, 3], (0..<30).map(Float.init))
        let layer = try spp("pyramid_height: 2")
        let top = try LayerTest.setUp(layer, bottom: [input])
        XCTAssertEqual(top[0].shape, [1, 10])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [14, 29, 3, 5, 12, 14, 18, 20, 27, 29])
    }

    func testHeightOneIsThePooledBlobAndHeightThreeConcatenates() throws {
        let input = LayerTest.blob([2, 3, 4, 4], seed: 2)
        let one = try spp("pyramid_height: 1")
        let top1 = try LayerTest.setUp(one, bottom: [input])
        XCTAssertEqual(top1[0].shape, [2, 3, 1, 1])
        try one.forward(bottom: [input], top: top1)
        for plane in 0..<6 {
            XCTAssertEqual(top1[0].data[plane], input.dataArray[(plane * 16)..<(plane * 16 + 16)].max())
        }
        let three = try spp("pyramid_height: 3")
        let top3 = try LayerTest.setUp(three, bottom: [input])
        XCTAssertEqual(top3[0].shape, [2, 3 * (1 + 4 + 16)])
        try three.forward(bottom: [input], top: top3)
        // Level 2 on 4×4 has 1×1 bins: the image itself, after 3 + 12 values of levels 0 and 1.
        XCTAssertEqual(Array(top3[0].dataArray[15..<63]), Array(input.dataArray[0..<48]))
    }

    func testReshapeToAnotherSize() throws {
        let input = image
        let layer = try spp("pyramid_height: 2")
        let top = try LayerTest.setUp(layer, bottom: [input])
        try input.reshape([1, 1, 5, 3])
        input.setData((0..<15).map(Float.init))
        try layer.reshape(bottom: [input], top: top)
        XCTAssertEqual(top[0].shape, [1, 5])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [14, 3, 5, 12, 14])
    }

    /// The values i·0.05 − 7 in shuffled order: further apart than the checker's step,
    /// so no MAX window has a near-tie.
    func shuffled(_ shape: [Int]) -> Blob {
        let count = shape.reduce(1, *)
        var order = Array(0..<count)
        let random = RandomSource(seed: 5)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
        return blob(shape, order.map { Float($0) * 0.05 - 7 })
    }

    func testGradients() throws {
        for pool in ["MAX", "AVE"] {
            let input = shuffled([2, 2, 8, 9])
            let layer = try spp("pyramid_height: 3 pool: \(pool)")
            let top = try LayerTest.setUp(layer, bottom: [input])
            XCTAssertEqual(top[0].shape, [2, 2 * 21])
            try GradientChecker().check(layer, bottom: [input], top: top)
        }
        let input = shuffled([1, 2, 5, 3])
        let layer = try spp("pyramid_height: 1 pool: AVE")
        try GradientChecker().check(layer, bottom: [input], top: try LayerTest.setUp(layer, bottom: [input]))
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error({ _ = try self.spp("pool: MAX") })?.field, "spp_param.pyramid_height")
        XCTAssertEqual(TestSupport.error({ _ = try self.spp("pyramid_height: 2 pool: STOCHASTIC") })?.field,
                       "spp_param.pool")
        let layer = try spp("pyramid_height: 2")
        // 1×1 cannot be cut into 2×2 bins (Caffe's Pooling would need pad ≥ kernel).
        let small = TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([1, 1, 1, 1])]) })
        XCTAssertTrue(small?.hint?.contains("pyramid_height") ?? false, small?.hint ?? "")
        XCTAssertNotNil(TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([1, 4, 4])]) }))
        XCTAssertEqual(TestSupport.error({
            _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([1, 1, 4, 4]), LayerTest.blob([1, 1, 4, 4])])
        })?.field, "bottom")
    }

    func testNoAllocationsAfterWarmUp() throws {
        for height in [1, 3] {
            let input = LayerTest.blob([2, 3, 8, 8])
            let layer = try spp("pyramid_height: \(height)")
            try StructureFixtures.assertNoAllocations(layer, bottom: [input], top: try LayerTest.setUp(layer, bottom: [input]))
        }
    }
}
