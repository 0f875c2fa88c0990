import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Sigmoid: 1 / (1 + e^−x); backward from y, so in place works.
final class SigmoidTests: XCTestCase {
    func testForward() throws {
        let y = try NeuronTest.forward(#"type: "Sigmoid""#, [0, 1, -2, 20])
        NeuronTest.assertClose(y, [0.5, Float(1 / (1 + exp(-1.0))), Float(1 / (1 + exp(2.0))), 1])
    }

    func testBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "Sigmoid""#)
        let bottom = NeuronTest.blob([2], [0, 1])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([2, 1])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        let s = 1 / (1 + exp(-1.0))
        NeuronTest.assertClose(bottom.diffArray, [0.5, Float(s * (1 - s))])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "Sigmoid""#, shape: [2, 3, 4, 5], low: -4, high: 4)
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "Sigmoid""#, shape: [2, 3, 5], low: -4, high: 4)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Sigmoid""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        XCTAssertEqual(NeuronTest.makeError(#"type: "Sigmoid" sigmoid_param { engine: CUDNN }"#)?.field,
                       "sigmoid_param.engine")
    }
}
