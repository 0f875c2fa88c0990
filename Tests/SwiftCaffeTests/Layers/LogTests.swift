import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Log: log_base(shift + scale·x), base −1 = e; backward ∂y · scale / (ln(base) · (shift + scale·x)).
final class LogTests: XCTestCase {
    func log(base: Float, scale: Float, shift: Float) -> String {
        #"type: "Log" log_param { base: \#(base) scale: \#(scale) shift: \#(shift) }"#
    }

    func testForwardDefaultIsNaturalLog() throws {
        let y = try NeuronTest.forward(#"type: "Log""#, [1, Float(M_E), 0.5])
        NeuronTest.assertClose(y, [0, 1, Float(Foundation.log(0.5))])
    }

    func testForwardWithBaseScaleShift() throws {
        // log₂(1 + 3x): x = 1 → 2, x = 0 → 0, x = 5 → 4.
        let y = try NeuronTest.forward(log(base: 2, scale: 3, shift: 1), [1, 0, 5])
        NeuronTest.assertClose(y, [2, 0, 4])
        // log₁₀(x): 10 → 1, 1000 → 3, 0.01 → −2.
        let z = try NeuronTest.forward(#"type: "Log" log_param { base: 10 }"#, [10, 1000, 0.01])
        NeuronTest.assertClose(z, [1, 3, -2], accuracy: 1e-6)
        // Outside the domain: log(0) = −inf, log of a negative is NaN, as Caffe.
        let outside = try NeuronTest.forward(#"type: "Log""#, [0, -1])
        XCTAssertEqual(outside[0], -.infinity)
        XCTAssertTrue(outside[1].isNaN)
    }

    func testBackwardByHand() throws {
        // y = log₂(1 + 3x), dy/dx = 3 / (ln 2 · (1 + 3x)).
        let layer = try LayerTest.make(log(base: 2, scale: 3, shift: 1))
        let bottom = NeuronTest.blob([2], [1, 0])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([2, 0.5])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        NeuronTest.assertClose(bottom.diffArray, [Float(2 * 3 / (Foundation.log(2.0) * 4)),
                                                  Float(0.5 * 3 / Foundation.log(2.0))])
    }

    func testGradient() throws {
        // Strong curvature near the pole at shift + scale·x = 0: at the default step 1e-2
        // the checker would take it for kinks, so use 1e-3 (as PowerTests).
        let fine = GradientChecker(stepsize: 1e-3)
        try NeuronTest.check(#"type: "Log""#, shape: [2, 3, 4, 5], low: 0.5, high: 2, checker: fine)
        try NeuronTest.check(log(base: 2, scale: 3, shift: 1), shape: [2, 3, 4], low: 0.1, high: 1, checker: fine)
        try NeuronTest.check(log(base: 0.5, scale: -1, shift: 2), shape: [3, 5], low: -1, high: 1, checker: fine)
    }

    func testInPlace() throws {
        // Backward needs x: in place the layer keeps a copy.
        try NeuronTest.assertInPlaceMatches(#"type: "Log""#, shape: [2, 3, 5], low: 0.5, high: 2)
        try NeuronTest.assertInPlaceMatches(log(base: 3, scale: 2, shift: 3), shape: [3, 5])
    }

    func testInANet() throws {
        try NeuronTest.checkInNet(#"type: "Log" log_param { shift: 4 scale: 1.5 }"#)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Log""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        for base: Float in [0, -2, 1] {
            XCTAssertEqual(NeuronTest.makeError(log(base: base, scale: 1, shift: 0))?.field, "log_param.base", "base \(base)")
        }
        var param = Caffe_LayerParameter()
        param.type = "Log"
        param.logParam.shift = -.infinity
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(param) }?.field, "log_param.shift")
    }
}
