import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Crop: hand-made 4-D blobs whose values are their own indices, so every expected
/// window can be written down; gradients to the first bottom only.
final class CropTests: XCTestCase {
    func crop(_ text: String = "") throws -> Layer {
        try LayerTest.make("type: \"Crop\" crop_param { \(text) }")
    }

    /// A blob whose element at (n, c, h, w) is its row-major index.
    func indexed(_ shape: [Int]) -> Blob {
        let b = try! Blob(shape: shape)
        for i in 0..<b.count { b.data[i] = Float(i) }
        return b
    }

    /// Value at (n, c, h, w) of `indexed([_, C, H, W])`.
    func index(_ n: Int, _ c: Int, _ h: Int, _ w: Int, channels: Int, height: Int, width: Int) -> Float {
        Float(((n * channels + c) * height + h) * width + w)
    }

    func testDefaultAxisTwoWithOffsetPerAxis() throws {
        // 1×2×4×5, reference 1×1×2×3, axis 2 (H, W), offsets (1, 2):
        // channel c keeps rows 1–2 and columns 2–4: 20c + 5h + w.
        let input = indexed([1, 2, 4, 5]), reference = try Blob(shape: [1, 1, 2, 3])
        let layer = try crop("offset: 1 offset: 2")
        let top = try LayerTest.setUp(layer, bottom: [input, reference])
        XCTAssertEqual(top[0].shape, [1, 2, 2, 3])
        try layer.forward(bottom: [input, reference], top: top)
        XCTAssertEqual(top[0].dataArray, [7, 8, 9, 12, 13, 14, 27, 28, 29, 32, 33, 34])
    }

    func testOneOffsetForAllAxesAndNoOffset() throws {
        let input = indexed([1, 1, 4, 5]), reference = try Blob(shape: [3, 7, 2, 2])
        // One offset 1 for H and W: rows 1–2, columns 1–2. The axes before 2 keep bottom 0's sizes.
        let one = try crop("offset: 1")
        let top = try LayerTest.setUp(one, bottom: [input, reference])
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        try one.forward(bottom: [input, reference], top: top)
        XCTAssertEqual(top[0].dataArray, [6, 7, 11, 12])
        // No offset: the window starts at 0.
        let none = try crop()
        let top0 = try LayerTest.setUp(none, bottom: [input, reference])
        try none.forward(bottom: [input, reference], top: top0)
        XCTAssertEqual(top0[0].dataArray, [0, 1, 5, 6])
    }

    func testAxisOneAndNegativeAxis() throws {
        // axis 1: channels too. 2×3×3×4 cropped to ·×2×2×2 from (c, h, w) = (1, 0, 2).
        let input = indexed([2, 3, 3, 4]), reference = try Blob(shape: [1, 2, 2, 2])
        let layer = try crop("axis: 1 offset: 1 offset: 0 offset: 2")
        let top = try LayerTest.setUp(layer, bottom: [input, reference])
        XCTAssertEqual(top[0].shape, [2, 2, 2, 2])
        try layer.forward(bottom: [input, reference], top: top)
        var expected: [Float] = []
        for n in 0..<2 { for c in 1...2 { for h in 0...1 { for w in 2...3 {
            expected.append(index(n, c, h, w, channels: 3, height: 3, width: 4))
        } } } }
        XCTAssertEqual(top[0].dataArray, expected)
        // axis −1: only the width, from column 1; N, C, H are bottom 0's.
        let last = try crop("axis: -1 offset: 1")
        let top1 = try LayerTest.setUp(last, bottom: [input, try Blob(shape: [1, 1, 1, 2])])
        XCTAssertEqual(top1[0].shape, [2, 3, 3, 2])
        try last.forward(bottom: [input, try Blob(shape: [1, 1, 1, 2])], top: top1)
        XCTAssertEqual(Array(top1[0].dataArray.prefix(6)), [1, 2, 5, 6, 9, 10])
        // axis 0 crops the batch as well.
        let all = try crop("axis: 0 offset: 1 offset: 2 offset: 1 offset: 1")
        let top2 = try LayerTest.setUp(all, bottom: [input, try Blob(shape: [1, 1, 1, 1])])
        try all.forward(bottom: [input, try Blob(shape: [1, 1, 1, 1])], top: top2)
        XCTAssertEqual(top2[0].dataArray, [index(1, 2, 1, 1, channels: 3, height: 3, width: 4)])
    }

    func testBackwardPutsTheDiffInItsWindow() throws {
        let input = indexed([1, 1, 3, 4]), reference = try Blob(shape: [1, 1, 2, 2])
        let layer = try crop("offset: 1 offset: 1")
        let top = try LayerTest.setUp(layer, bottom: [input, reference])
        try layer.forward(bottom: [input, reference], top: top)
        top[0].setDiff([1, 2, 3, 4])
        input.fillDiff(9)
        reference.fillDiff(9)
        try layer.backward(top: top, propagateDown: [true, true], bottom: [input, reference])
        XCTAssertEqual(input.diffArray, [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0])
        // The reference's values never reach the top: its gradient is zero.
        XCTAssertEqual(reference.diffArray, [0, 0, 0, 0])
        XCTAssertTrue(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 1))
    }

    func testGradientToTheFirstBottom() throws {
        let input = LayerTest.blob([2, 3, 5, 4], seed: 3), reference = LayerTest.blob([2, 2, 3, 3], seed: 4)
        let layer = try crop("axis: 1 offset: 1 offset: 2 offset: 0")
        let top = try LayerTest.setUp(layer, bottom: [input, reference])
        XCTAssertEqual(top[0].shape, [2, 2, 3, 3])
        try GradientChecker().check(layer, bottom: [input, reference], top: top, bottomsToCheck: [0])
    }

    func testReshapeFollowsTheReference() throws {
        let input = indexed([1, 1, 4, 4]), reference = try Blob(shape: [1, 1, 2, 2])
        let layer = try crop("offset: 1")
        let top = try LayerTest.setUp(layer, bottom: [input, reference])
        try reference.reshape([1, 1, 3, 1])
        try layer.reshape(bottom: [input, reference], top: top)
        XCTAssertEqual(top[0].shape, [1, 1, 3, 1])
        try layer.forward(bottom: [input, reference], top: top)
        XCTAssertEqual(top[0].dataArray, [5, 9, 13])
    }

    func testErrors() throws {
        let input = indexed([1, 2, 4, 4]), reference = try Blob(shape: [1, 1, 2, 2])
        func setUpError(_ text: String, _ ref: Blob? = nil) throws -> SwiftCaffeError? {
            let layer = try crop(text)
            return TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [input, ref ?? reference]) })
        }
        // Two offsets for the three axes from axis 1.
        XCTAssertEqual(try setUpError("axis: 1 offset: 1 offset: 1")?.field, "crop_param.offset")
        // A window that runs past the edge: 4 − 3 < 2.
        let tooFar = try setUpError("offset: 3")
        XCTAssertEqual(tooFar?.field, "crop_param.offset")
        XCTAssertTrue(tooFar?.message.contains("axis 2") ?? false, tooFar?.message ?? "")
        // A reference larger than the blob.
        XCTAssertEqual(try setUpError("", try Blob(shape: [1, 1, 5, 2]))?.field, "crop_param.offset")
        XCTAssertEqual(try setUpError("axis: 4")?.field, "crop_param.axis")
        XCTAssertNotNil(try setUpError("", try Blob(shape: [2, 2])))
        // Counts: exactly two bottoms, one top; not in place.
        let layer = try crop()
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [input]) })?.field, "bottom")
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [input, reference], tops: 2) })?.field,
                       "top")
        XCTAssertTrue(TestSupport.error({ try LayerTest.setUp(layer, bottom: [input, reference], top: [input]) })?
            .message.contains("in place") ?? false)
    }

    func testNoAllocationsAfterWarmUp() throws {
        let input = LayerTest.blob([2, 3, 6, 5]), reference = try Blob(shape: [2, 3, 4, 4])
        let layer = try crop("offset: 1")
        let top = try LayerTest.setUp(layer, bottom: [input, reference])
        try StructureFixtures.assertNoAllocations(layer, bottom: [input, reference], top: top,
                                                  propagateDown: [true, false])
    }
}
