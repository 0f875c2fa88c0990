import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// TanH: tanh(x); backward 1 − y², from y, so in place works.
final class TanHTests: XCTestCase {
    func testForward() throws {
        let y = try NeuronTest.forward(#"type: "TanH""#, [0, 0.5, -1, 30])
        NeuronTest.assertClose(y, [0, Float(tanh(0.5)), Float(tanh(-1.0)), 1])
    }

    func testBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "TanH""#)
        let bottom = NeuronTest.blob([2], [0, 0.5])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([3, 2])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        let t = tanh(0.5)
        NeuronTest.assertClose(bottom.diffArray, [3, Float(2 * (1 - t * t))])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "TanH""#, shape: [2, 3, 4, 5], low: -2, high: 2)
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "TanH""#, shape: [4, 3, 5], low: -3, high: 3)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "TanH""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        XCTAssertEqual(NeuronTest.makeError(#"type: "TanH" tanh_param { engine: CUDNN }"#)?.field, "tanh_param.engine")
    }
}
