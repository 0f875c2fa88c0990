import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// ELU: x for x > 0, α(eˣ − 1) otherwise; backward ∂y or ∂y·(α + y).
final class ELUTests: XCTestCase {
    func testForwardDefaultAlpha() throws {
        let y = try NeuronTest.forward(#"type: "ELU""#, [-1, 0, 2])
        NeuronTest.assertClose(y, [Float(exp(-1.0) - 1), 0, 2])
    }

    func testForwardAndBackwardWithAlpha() throws {
        let layer = try LayerTest.make(#"type: "ELU" elu_param { alpha: 0.5 }"#)
        let bottom = NeuronTest.blob([3], [-1, 0, 2])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let negative = 0.5 * (exp(-1.0) - 1)
        NeuronTest.assertClose(top[0].dataArray, [Float(negative), 0, 2])
        top[0].setDiff([2, 3, 4])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        // x ≤ 0: ∂y · (α + y) = ∂y · α·eˣ; x > 0: ∂y.
        NeuronTest.assertClose(bottom.diffArray, [Float(2 * (0.5 + negative)), 3 * 0.5, 4])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "ELU""#, shape: [2, 3, 4, 5], low: -3, high: 2)
        try NeuronTest.check(#"type: "ELU" elu_param { alpha: 0.3 }"#, shape: [3, 5, 7], low: -3, high: 2)
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "ELU" elu_param { alpha: 0.7 }"#, shape: [2, 3, 4, 5], low: -3, high: 2)
        // A negative α makes y positive for negative x: the layer keeps a copy of x.
        try NeuronTest.assertInPlaceMatches(#"type: "ELU" elu_param { alpha: -0.4 }"#, shape: [3, 7], low: -3, high: 2)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "ELU""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        var param = Caffe_LayerParameter()
        param.type = "ELU"
        param.eluParam.alpha = .nan
        let e = TestSupport.error { _ = try LayerRegistry.builtIn.makeLayer(param) }
        XCTAssertEqual(e?.field, "elu_param.alpha")
    }
}
