import CaffeProto
import XCTest
@testable import SwiftCaffe

final class SilenceTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Silence""#)
        let x = LayerTest.blob([2, 3])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x], tops: 0))
    }

    func testForwardNothingBackwardZeroes() throws {
        let layer = try LayerTest.make(#"type: "Silence""#)
        let a = Blob(2, 2), b = Blob(3)
        a.setData([1, 2, 3, 4])
        a.fillDiff(5)
        b.fillDiff(7)
        let top = try LayerTest.setUp(layer, bottom: [a, b], tops: 0)
        XCTAssertTrue(top.isEmpty)
        try layer.forward(bottom: [a, b], top: [])
        XCTAssertEqual(a.dataArray, [1, 2, 3, 4])
        try layer.backward(top: [], propagateDown: [true, false], bottom: [a, b])
        XCTAssertEqual(a.diffArray, [0, 0, 0, 0])
        XCTAssertEqual(b.diffArray, [7, 7, 7])
    }

    func testInANetItSilencesAnOutput() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "s" type: "Silence" bottom: "x" }
            """)
        XCTAssertEqual(net.outputNames, [])
        try net.forward()
    }
}
