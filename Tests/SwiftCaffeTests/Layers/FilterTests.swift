import CaffeProto
import XCTest
@testable import SwiftCaffe

final class FilterTests: XCTestCase {
    static let text = #"type: "Filter" bottom: "data" bottom: "labels" bottom: "selector""#

    /// data 4 × 2 (0 … 7), labels (10 … 13), selector (1, 0, 0, 1).
    func setUpFilter() throws -> (Layer, [Blob], [Blob]) {
        let layer = try LayerTest.make(Self.text)
        let bottom = [NeuronTest.blob([4, 2], [0, 1, 2, 3, 4, 5, 6, 7]), NeuronTest.blob([4], [10, 11, 12, 13]),
                      NeuronTest.blob([4, 1], [1, 0, 0, 1])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        return (layer, bottom, top)
    }

    func testForwardKeepsTheSelectedRows() throws {
        let (layer, bottom, top) = try setUpFilter()
        // At setup the selector has no meaning yet: Caffe keeps every row.
        XCTAssertEqual(top.map(\.shape), [[4, 2], [4]])
        try layer.forward(bottom: bottom, top: top)
        XCTAssertEqual(top.map(\.shape), [[2, 2], [2]])
        XCTAssertEqual(top[0].dataArray, [0, 1, 6, 7])
        XCTAssertEqual(top[1].dataArray, [10, 13])
        // A later reshape reads the selector, as Caffe's does.
        bottom[2].setData([0, 2, 0, 0])
        try layer.reshape(bottom: bottom, top: top)
        XCTAssertEqual(top.map(\.shape), [[1, 2], [1]])
        try layer.forward(bottom: bottom, top: top)
        XCTAssertEqual(top[0].dataArray, [2, 3])
    }

    func testNothingSelected() throws {
        let (layer, bottom, top) = try setUpFilter()
        bottom[2].setData([0, 0, 0, 0])
        try layer.forward(bottom: bottom, top: top)
        XCTAssertEqual(top.map(\.shape), [[0, 2], [0]])
        bottom[0].fillDiff(5)
        try layer.backward(top: top, propagateDown: [true, false, false], bottom: bottom)
        XCTAssertEqual(bottom[0].diffArray, Array(repeating: 0, count: 8))
    }

    func testBackwardScattersAndZeroesTheRest() throws {
        let (layer, bottom, top) = try setUpFilter()
        try layer.forward(bottom: bottom, top: top)
        top[0].setDiff([1, 2, 3, 4])
        top[1].setDiff([8, 9])
        for b in bottom { b.fillDiff(100) }
        try layer.backward(top: top, propagateDown: [true, true, false], bottom: bottom)
        XCTAssertEqual(bottom[0].diffArray, [1, 2, 0, 0, 0, 0, 3, 4])
        XCTAssertEqual(bottom[1].diffArray, [8, 0, 0, 9])
        XCTAssertEqual(bottom[2].diffArray, [100, 100, 100, 100])
    }

    func testGradientOfTheData() throws {
        let layer = try LayerTest.make(Self.text)
        let bottom = [LayerTest.blob([5, 3]), LayerTest.blob([5, 2, 2], seed: 9), NeuronTest.blob([5, 1, 1], [0, 1, 1, 0, 1])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try GradientChecker().check(layer, bottom: bottom, top: top, bottomsToCheck: [0, 1])
        XCTAssertEqual(top.map(\.shape), [[3, 3], [3, 2, 2]])
    }

    func testNoGradientToTheSelector() throws {
        let (layer, bottom, top) = try setUpFilter()
        try layer.forward(bottom: bottom, top: top)
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, false, true], bottom: bottom) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its selector") ?? false)
        XCTAssertTrue(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 2))
    }

    func testShapeAndCountErrors() throws {
        let layer = try LayerTest.make(Self.text)
        let data = Blob(4, 2), selector = Blob(4, 1)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [data, selector], tops: 2) }?.field, "top")
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [data], tops: 1) }?.field, "bottom")
        let wide = TestSupport.error { _ = try LayerTest.setUp(try LayerTest.make(Self.text), bottom: [data, Blob(4, 2)]) }
        XCTAssertTrue(wide?.message.contains("must be N × 1") ?? false, "\(String(describing: wide))")
        let short = TestSupport.error { _ = try LayerTest.setUp(try LayerTest.make(Self.text), bottom: [Blob(3, 2), selector]) }
        XCTAssertTrue(short?.message.contains("first dimension 4") ?? false, "\(String(describing: short))")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let (layer, bottom, top) = try setUpFilter()
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: top, propagateDown: [true, true, false])
    }
}
