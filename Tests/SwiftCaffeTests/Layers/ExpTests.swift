import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Exp: base^(shift + scale·x), base −1 = e; backward ∂y · y · log(base) · scale.
final class ExpTests: XCTestCase {
    func exp(base: Float, scale: Float, shift: Float) -> String {
        #"type: "Exp" exp_param { base: \#(base) scale: \#(scale) shift: \#(shift) }"#
    }

    func testForwardDefaultIsNaturalExp() throws {
        let y = try NeuronTest.forward(#"type: "Exp""#, [0, 1, -2])
        NeuronTest.assertClose(y, [1, Float(M_E), Float(Foundation.exp(-2.0))])
    }

    func testForwardWithBaseScaleShift() throws {
        // 2^(1 + 3x): x = 0 → 2, x = 1 → 16, x = −0.5 → 2^−0.5.
        let y = try NeuronTest.forward(exp(base: 2, scale: 3, shift: 1), [0, 1, -0.5])
        NeuronTest.assertClose(y, [2, 16, Float(1 / 2.0.squareRoot())])
        // Base e with a shift: e^(1 + 2x) (the shift's factor is e^shift, not (−1)^shift).
        let z = try NeuronTest.forward(exp(base: -1, scale: 2, shift: 1), [0, -0.5, 1])
        NeuronTest.assertClose(z, [Float(M_E), 1, Float(Foundation.exp(3.0))])
        // Base 1: the constant 1.
        XCTAssertEqual(try NeuronTest.forward(exp(base: 1, scale: 5, shift: 2), [3, -4]), [1, 1])
    }

    func testBackwardByHand() throws {
        // y = 2^(1 + 3x), dy/dx = 3 · ln 2 · y.
        let layer = try LayerTest.make(exp(base: 2, scale: 3, shift: 1))
        let bottom = NeuronTest.blob([2], [0, 1])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 0.5])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        NeuronTest.assertClose(bottom.diffArray, [Float(3 * log(2.0) * 2), Float(0.5 * 3 * log(2.0) * 16)])
    }

    func testGradient() throws {
        // Strong curvature (y″ = inner · y′): at the default step 1e-2 the checker would
        // take the steep exponentials for kinks, so use 1e-3 (as PowerTests).
        let fine = GradientChecker(stepsize: 1e-3)
        try NeuronTest.check(#"type: "Exp""#, shape: [2, 3, 4, 5], checker: fine)
        try NeuronTest.check(exp(base: 2, scale: 3, shift: 1), shape: [2, 3, 4], checker: fine)
        try NeuronTest.check(exp(base: -1, scale: -0.5, shift: 0.5), shape: [3, 5])
        try NeuronTest.check(exp(base: 0.5, scale: 1, shift: -1), shape: [7])
    }

    func testInPlace() throws {
        // Backward reads only y, as Caffe's.
        try NeuronTest.assertInPlaceMatches(#"type: "Exp""#, shape: [2, 3, 5])
        try NeuronTest.assertInPlaceMatches(exp(base: 3, scale: 0.5, shift: 2), shape: [3, 5])
    }

    func testInANet() throws {
        try NeuronTest.checkInNet(#"type: "Exp" exp_param { base: 2 scale: 0.5 shift: -1 }"#)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Exp""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        for base: Float in [0, -2, -0.5] {
            XCTAssertEqual(NeuronTest.makeError(exp(base: base, scale: 1, shift: 0))?.field, "exp_param.base", "base \(base)")
        }
        var param = Caffe_LayerParameter()
        param.type = "Exp"
        param.expParam.base = .infinity
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(param) }?.field, "exp_param.base")
        param.expParam.base = 2
        param.expParam.scale = .nan
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(param) }?.field, "exp_param.scale")
        param.expParam.scale = 1
        param.expParam.shift = 1000  // 2^1000 is not a float
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(param) }?.field, "exp_param.shift")
    }
}
