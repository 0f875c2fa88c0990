import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Swish: x · sigmoid(βx); backward ∂y · (βy + s(1 − βy)) from y and the kept sigmoid s.
final class SwishTests: XCTestCase {
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func testForward() throws {
        let y = try NeuronTest.forward(#"type: "Swish""#, [0, 1, -2, 30])
        NeuronTest.assertClose(y, [0, Float(sigmoid(1)), Float(-2 * sigmoid(-2)), 30])
        let z = try NeuronTest.forward(#"type: "Swish" swish_param { beta: 2 }"#, [1, -0.5])
        NeuronTest.assertClose(z, [Float(sigmoid(2)), Float(-0.5 * sigmoid(-1))])
        // β = 0: x / 2.
        XCTAssertEqual(try NeuronTest.forward(#"type: "Swish" swish_param { beta: 0 }"#, [3, -1]), [1.5, -0.5])
    }

    func testBackwardByHand() throws {
        // d/dx x·σ(βx) = σ(βx) + βx·σ(βx)(1 − σ(βx)).
        let layer = try LayerTest.make(#"type: "Swish" swish_param { beta: 1.5 }"#)
        let xs: [Double] = [1, -2, 0]
        let bottom = NeuronTest.blob([3], xs.map(Float.init))
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 2, 3])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        let expected = zip(xs, [1.0, 2, 3]).map { x, dy -> Float in
            let s = sigmoid(1.5 * x)
            return Float(dy * (s + 1.5 * x * s * (1 - s)))
        }
        NeuronTest.assertClose(bottom.diffArray, expected, accuracy: 1e-6)
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "Swish""#, shape: [2, 3, 4, 5], low: -4, high: 4)
        try NeuronTest.check(#"type: "Swish" swish_param { beta: 0.5 }"#, shape: [3, 5], low: -3, high: 3)
        try NeuronTest.check(#"type: "Swish" swish_param { beta: -1.5 }"#, shape: [3, 5], low: -3, high: 3)
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "Swish" swish_param { beta: 2 }"#, shape: [2, 3, 5], low: -4, high: 4)
    }

    func testInANet() throws {
        try NeuronTest.checkInNet(#"type: "Swish" swish_param { beta: 1.5 }"#)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Swish""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        var param = Caffe_LayerParameter()
        param.type = "Swish"
        param.swishParam.beta = .infinity
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(param) }?.field, "swish_param.beta")
    }
}
