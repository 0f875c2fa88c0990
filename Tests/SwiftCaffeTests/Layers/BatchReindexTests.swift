import CaffeProto
import XCTest
@testable import SwiftCaffe

final class BatchReindexTests: XCTestCase {
    /// data 3 × 2: items (1, 2), (3, 4), (5, 6).
    func gather(_ indices: [Float]) throws -> (Layer, [Blob], Blob) {
        let layer = try LayerTest.make(#"type: "BatchReindex""#)
        let bottom = [NeuronTest.blob([3, 2], [1, 2, 3, 4, 5, 6]), NeuronTest.blob([indices.count], indices)]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        try layer.forward(bottom: bottom, top: top)
        return (layer, bottom, top[0])
    }

    func testForwardGathersItems() throws {
        let (_, _, top) = try gather([2, 0, 2, 1])
        XCTAssertEqual(top.shape, [4, 2])
        XCTAssertEqual(top.dataArray, [5, 6, 1, 2, 5, 6, 3, 4])
    }

    func testBackwardAccumulates() throws {
        let (layer, bottom, top) = try gather([2, 0, 2, 1])
        top.setDiff([1, 2, 3, 4, 5, 6, 7, 8])
        bottom[0].fillDiff(100)
        try layer.backward(top: [top], propagateDown: [true, false], bottom: bottom)
        XCTAssertEqual(bottom[0].diffArray, [3, 4, 7, 8, 1 + 5, 2 + 6])
        // Items nobody takes get 0.
        let (other, otherBottom, otherTop) = try gather([0, 0])
        otherTop.setDiff([1, 1, 2, 2])
        otherBottom[0].fillDiff(100)
        try other.backward(top: [otherTop], propagateDown: [true, false], bottom: otherBottom)
        XCTAssertEqual(otherBottom[0].diffArray, [3, 3, 0, 0, 0, 0])
    }

    func testGradientOfTheData() throws {
        let layer = try LayerTest.make(#"type: "BatchReindex""#)
        let bottom = [LayerTest.blob([3, 2, 2]), NeuronTest.blob([5], [2, 0, 1, 0, 2])]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        XCTAssertEqual(top[0].shape, [5, 2, 2])
        try GradientChecker().check(layer, bottom: bottom, top: top, bottomsToCheck: [0])
    }

    func testBadIndices() throws {
        for (value, text) in [(Float(3), "index 3.0 at position 1"), (-1, "index -1.0 at position 1"),
                              (0.5, "index 0.5 at position 1")] {
            let e = TestSupport.error { _ = try self.gather([0, value]) }
            XCTAssertTrue(e?.message.contains(text) ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.message.contains("0..<3") ?? false)
        }
    }

    func testNoGradientToTheIndices() throws {
        let (layer, bottom, top) = try gather([1])
        let e = TestSupport.error { try layer.backward(top: [top], propagateDown: [true, true], bottom: bottom) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its indices") ?? false)
        XCTAssertTrue(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 1))
    }

    func testShapeAndCountErrors() throws {
        let layer = try LayerTest.make(#"type: "BatchReindex""#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(3, 2), Blob(2, 1)]) }
        XCTAssertTrue(e?.message.contains("must be a vector") ?? false, "\(String(describing: e))")
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(3, 2)]) }?.field, "bottom")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "BatchReindex""#)
        let bottom = [LayerTest.blob([4, 3]), NeuronTest.blob([3], [3, 3, 0])]
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: try LayerTest.setUp(layer, bottom: bottom),
                                                  propagateDown: [true, false])
    }
}
