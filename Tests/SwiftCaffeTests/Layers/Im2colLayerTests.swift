import CaffeProto
import XCTest
@testable import SwiftCaffe

/// The Im2col layer: hand-written columns of a 1×1×3×3 image (1…9), Caffe's channel
/// order on several channels and images, col2im backward, gradients, errors.
final class Im2colLayerTests: XCTestCase {
    func layer(_ text: String) throws -> Layer {
        try LayerTest.make("type: \"Im2col\" convolution_param { \(text) }")
    }

    func blob(_ shape: [Int], _ values: [Float]) -> Blob {
        let b = try! Blob(shape: shape)
        b.setData(values)
        return b
    }

    /// [1 2 3; 4 5 6; 7 8 9]
    var oneToNine: Blob { blob([1, 1, 3, 3], (1...9).map(Float.init)) }

    func testTwoByTwoKernel() throws {
        // Channel (i, j) holds, at output (y, x), the input at (y + i, x + j).
        let input = oneToNine
        let im2col = try layer("kernel_size: 2")
        let top = try LayerTest.setUp(im2col, bottom: [input])
        XCTAssertEqual(top[0].shape, [1, 4, 2, 2])
        try im2col.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 2, 4, 5,   // (0, 0)
                                          2, 3, 5, 6,   // (0, 1)
                                          4, 5, 7, 8,   // (1, 0)
                                          5, 6, 8, 9])  // (1, 1)
        // Backward adds every diff back where it was read: all-ones diffs count the
        // windows that cover each pixel.
        top[0].fillDiff(1)
        input.fillDiff(7)
        try im2col.backward(top: top, propagateDown: [true], bottom: [input])
        XCTAssertEqual(input.diffArray, [1, 2, 1, 2, 4, 2, 1, 2, 1])
    }

    func testPaddedStrideTwo() throws {
        // kernel 3, pad 1, stride 2 → 2×2 outputs starting at rows/columns −1 and 1:
        // channel (i, j) = [v(i−1, j−1), v(i−1, j+1), v(i+1, j−1), v(i+1, j+1)], 0 outside.
        let input = oneToNine
        let im2col = try layer("kernel_size: 3 pad: 1 stride: 2")
        let top = try LayerTest.setUp(im2col, bottom: [input])
        XCTAssertEqual(top[0].shape, [1, 9, 2, 2])
        try im2col.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [0, 0, 0, 5,
                                          0, 0, 4, 6,
                                          0, 0, 5, 0,
                                          0, 2, 0, 8,
                                          1, 3, 7, 9,
                                          2, 0, 8, 0,
                                          0, 5, 0, 0,
                                          4, 6, 0, 0,
                                          5, 0, 0, 0])
    }

    func testDilatedAndRectangular() throws {
        // kernel 2 dilated by 2 spans 3×3: one output, the four corners.
        let dilated = try layer("kernel_size: 2 dilation: 2")
        let input = oneToNine
        let top = try LayerTest.setUp(dilated, bottom: [input])
        XCTAssertEqual(top[0].shape, [1, 4, 1, 1])
        try dilated.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 3, 7, 9])
        // kernel 1×2, stride 2×1: rows 0 and 2, pairs of neighbours.
        let rect = try layer("kernel_h: 1 kernel_w: 2 stride_h: 2 stride_w: 1")
        let top2 = try LayerTest.setUp(rect, bottom: [input])
        XCTAssertEqual(top2[0].shape, [1, 2, 2, 2])
        try rect.forward(bottom: [input], top: top2)
        XCTAssertEqual(top2[0].dataArray, [1, 2, 7, 8, 2, 3, 8, 9])
    }

    func testChannelsAndImagesInCaffesOrder() throws {
        // 2 images × 2 channels of 2×2, kernel 2 → one output; top channel (c·2 + i)·2 + j.
        let input = blob([2, 2, 2, 2], (0..<16).map(Float.init))
        let im2col = try layer("kernel_size: 2")
        let top = try LayerTest.setUp(im2col, bottom: [input])
        XCTAssertEqual(top[0].shape, [2, 8, 1, 1])
        try im2col.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, (0..<16).map(Float.init))
    }

    func testGradient() throws {
        let input = LayerTest.blob([2, 3, 5, 6], seed: 9)
        let im2col = try layer("kernel_size: 3 stride: 2 pad: 1 dilation: 2")
        let top = try LayerTest.setUp(im2col, bottom: [input])
        XCTAssertEqual(top[0].shape, [2, 27, 2, 2])
        try GradientChecker().check(im2col, bottom: [input], top: top)
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error({ _ = try self.layer("stride: 2") })?.field, "convolution_param.kernel_size")
        XCTAssertEqual(TestSupport.error({ _ = try self.layer("kernel_size: 2 axis: 2") })?.field, "convolution_param.axis")
        XCTAssertEqual(TestSupport.error({ _ = try self.layer("kernel_size: 2 stride: 0") })?.field, "convolution_param.stride")
        let big = try layer("kernel_size: 4")
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(big, bottom: [self.oneToNine]) })?.field,
                       "convolution_param.kernel_size")
        XCTAssertNotNil(TestSupport.error({ _ = try LayerTest.setUp(big, bottom: [LayerTest.blob([4, 5, 5])]) }))
        let x = oneToNine
        XCTAssertTrue(TestSupport.error({ try LayerTest.setUp(big, bottom: [x], top: [x]) })?
            .message.contains("in place") ?? false)
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(big, bottom: [x, x]) })?.field, "bottom")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let input = LayerTest.blob([2, 3, 6, 6])
        let im2col = try layer("kernel_size: 3 pad: 1")
        try StructureFixtures.assertNoAllocations(im2col, bottom: [input], top: try LayerTest.setUp(im2col, bottom: [input]))
    }
}
