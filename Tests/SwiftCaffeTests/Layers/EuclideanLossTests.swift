import CaffeProto
import XCTest
@testable import SwiftCaffe

final class EuclideanLossTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "EuclideanLoss""#)
        let a = LayerTest.blob([3, 4]), b = LayerTest.blob([3, 4], seed: 2)
        try StructureFixtures.assertNoAllocations(layer, bottom: [a, b], top: try LayerTest.setUp(layer, bottom: [a, b]))
    }

    func testForwardAndBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "EuclideanLoss""#)
        let a = Blob(2, 2), b = Blob(2, 2)
        a.setData([1, 2, 3, 4])
        b.setData([1, 0, 0, 8])
        let top = try LayerTest.setUp(layer, bottom: [a, b])
        try layer.forward(bottom: [a, b], top: top)
        // (0 + 4 + 9 + 16) / (2 · 2) = 7.25
        XCTAssertEqual(top[0].dataArray[0], 7.25)
        top[0].setDiff([2])
        try layer.backward(top: top, propagateDown: [true, true], bottom: [a, b])
        // ±(a − b) · 2 / 2
        XCTAssertEqual(a.diffArray, [0, 2, 3, -4])
        XCTAssertEqual(b.diffArray, [0, -2, -3, 4])
        b.fillDiff(9)
        try layer.backward(top: top, propagateDown: [true, false], bottom: [a, b])
        XCTAssertEqual(b.diffArray, [9, 9, 9, 9])
    }

    func testGradientBothBottoms() throws {
        let layer = try LayerTest.make(#"type: "EuclideanLoss""#)
        let a = LayerTest.blob([3, 2, 5]), b = LayerTest.blob([3, 2, 5], seed: 8)
        let top = try LayerTest.setUp(layer, bottom: [a, b])
        try GradientChecker().check(layer, bottom: [a, b], top: top)
    }

    func testShapeMismatch() throws {
        let layer = try LayerTest.make(#"type: "EuclideanLoss""#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(3, 2)]) }
        XCTAssertTrue(e?.message.contains("same shape") ?? false)
    }

    /// conv_group: Caffe's EuclideanLoss of `conv` against `target`, with both bottom diffs.
    func testMatchesCaffeFixture() throws {
        let blobs = try StructureFixtures.blobs("conv_group")
        let conv = try StructureFixtures.blob(XCTUnwrap(blobs["conv"]))
        let target = try StructureFixtures.blob(XCTUnwrap(blobs["target"]))
        let layer = try StructureFixtures.layer("conv_group", named: "loss")
        let top = try LayerTest.setUp(layer, bottom: [conv, target])
        try layer.forward(bottom: [conv, target], top: top)
        let caffeLoss = try XCTUnwrap(blobs["loss"]).data[0]
        XCTAssertEqual(caffeLoss, 29.5543995, accuracy: 1e-4)
        StructureFixtures.assertClose([top[0].dataArray[0]], [caffeLoss], relative: 1e-5)
        top[0].setDiff([1])
        try layer.backward(top: top, propagateDown: [true, true], bottom: [conv, target])
        StructureFixtures.assertClose(conv.diffArray, try XCTUnwrap(blobs["conv"]).diff, relative: 1e-4)
        StructureFixtures.assertClose(target.diffArray, try XCTUnwrap(blobs["target"]).diff, relative: 1e-4)
    }
}
