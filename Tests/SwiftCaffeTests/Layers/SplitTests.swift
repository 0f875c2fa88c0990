import CaffeProto
import XCTest
@testable import SwiftCaffe

final class SplitTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Split""#)
        let x = LayerTest.blob([2, 3, 4])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x], tops: 3))
    }

    func testForwardCopiesAndBackwardSums() throws {
        let layer = try LayerTest.make(#"type: "Split""#)
        let x = Blob(2, 2)
        x.setData([1, 2, 3, 4])
        let top = try LayerTest.setUp(layer, bottom: [x], tops: 3)
        try layer.forward(bottom: [x], top: top)
        for t in top {
            XCTAssertEqual(t.shape, [2, 2])
            XCTAssertEqual(t.dataArray, [1, 2, 3, 4])
        }
        top[0].setDiff([1, 2, 3, 4])
        top[1].setDiff([10, 20, 30, 40])
        top[2].setDiff([100, 200, 300, 400])
        try layer.backward(top: top, propagateDown: [true], bottom: [x])
        XCTAssertEqual(x.diffArray, [111, 222, 333, 444])

        let one = try LayerTest.make(#"type: "Split""#)
        let single = try LayerTest.setUp(one, bottom: [x], tops: 1)
        single[0].setDiff([5, 6, 7, 8])
        try one.backward(top: single, propagateDown: [true], bottom: [x])
        XCTAssertEqual(x.diffArray, [5, 6, 7, 8])
    }

    func testGradient() throws {
        let layer = try LayerTest.make(#"type: "Split""#)
        let x = LayerTest.blob([2, 3, 5])
        let top = try LayerTest.setUp(layer, bottom: [x], tops: 2)
        try GradientChecker().check(layer, bottom: [x], top: top)
    }

    func testInPlaceIsAnError() throws {
        let layer = try LayerTest.make(#"type: "Split""#)
        let x = Blob(2, 2)
        XCTAssertNotNil(TestSupport.error { try layer.reshape(bottom: [x], top: [Blob(1), x]) })
    }
}
