import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// BNLL: the softplus log(1 + eˣ); backward ∂y · sigmoid(x) with x capped at 50.
final class BNLLTests: XCTestCase {
    func testForward() throws {
        let y = try NeuronTest.forward(#"type: "BNLL""#, [-2, 0, 1, 60, -60])
        // log(1 + eˣ) written as log1p(eˣ). Far from 0 the terms Caffe adds vanish:
        // x = 60 gives 60 + log(1 + e^−60) = 60, x = −60 gives log(1 + e^−60) = log(1) = 0
        // (1 + e^−60 is 1 already in double), and no e^x overflows on the way.
        NeuronTest.assertClose(y, [Float(log1p(exp(-2.0))), Float(log(2.0)), Float(log1p(exp(1.0))), 60, 0])
        XCTAssertEqual(try NeuronTest.forward(#"type: "BNLL""#, [200, -200]), [200, 0])
    }

    func testBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "BNLL""#)
        let bottom = NeuronTest.blob([5], [-2, 0, 1, 60, 200])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 2, 3, 4, 5])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        func sigmoid(_ x: Double) -> Float { Float(1 / (1 + exp(-x))) }
        // x = 200 is capped at 50: e^50 / (e^50 + 1) is 1 in float, and nothing overflows.
        NeuronTest.assertClose(bottom.diffArray, [sigmoid(-2), 2 * 0.5, 3 * sigmoid(1), 4, 5])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "BNLL""#, shape: [2, 3, 4, 5], low: -4, high: 4)
    }

    func testInPlace() throws {
        // Backward needs x: in place the layer keeps a copy.
        try NeuronTest.assertInPlaceMatches(#"type: "BNLL""#, shape: [2, 3, 5], low: -4, high: 4)
    }

    func testInANet() throws {
        try NeuronTest.checkInNet(#"type: "BNLL""#)
    }

    func testCounts() throws {
        let layer = try LayerTest.make(#"type: "BNLL""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([2]), LayerTest.blob([2])]) }
        XCTAssertEqual(e?.field, "bottom")
    }
}
