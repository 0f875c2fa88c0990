import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Power: (shift + scale·x)^power with Caffe's special cases.
final class PowerTests: XCTestCase {
    func power(_ power: Float, scale: Float, shift: Float) -> String {
        #"type: "Power" power_param { power: \#(power) scale: \#(scale) shift: \#(shift) }"#
    }

    func testForwardSquare() throws {
        let y = try NeuronTest.forward(power(2, scale: 3, shift: 1), [1, -1, 0.5])
        XCTAssertEqual(y, [16, 4, 6.25])
    }

    func testForwardGeneralPower() throws {
        let y = try NeuronTest.forward(power(0.5, scale: 2, shift: 1), [0, 1.5, 12])
        NeuronTest.assertClose(y, [1, 2, 5])
        let z = try NeuronTest.forward(power(-1.5, scale: 1, shift: 0), [4, 0.25])
        NeuronTest.assertClose(z, [0.125, 8])
    }

    func testSpecialCases() throws {
        // power 0: the constant 1, zero gradient.
        let layer = try LayerTest.make(power(0, scale: 2, shift: 5))
        let bottom = NeuronTest.blob([3], [1, -2, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 1, 1])
        top[0].setDiff([1, 1, 1])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [0, 0, 0])
        // scale 0: the constant shift^power.
        XCTAssertEqual(try NeuronTest.forward(power(3, scale: 0, shift: 2), [7, -7]), [8, 8])
        // power 1: scale·x + shift, slope scale.
        let linear = try LayerTest.make(power(1, scale: -2, shift: 0.5))
        let b = NeuronTest.blob([2], [1, 3])
        let t = try LayerTest.setUp(linear, bottom: [b])
        try linear.forward(bottom: [b], top: t)
        XCTAssertEqual(t[0].dataArray, [-1.5, -5.5])
        t[0].setDiff([1, 2])
        try linear.backward(top: t, propagateDown: [true], bottom: [b])
        XCTAssertEqual(b.diffArray, [-2, -4])
        // The default is the identity.
        XCTAssertEqual(try NeuronTest.forward(#"type: "Power""#, [1.5, -2]), [1.5, -2])
    }

    func testBackwardByHand() throws {
        // y = (1 + 3x)², dy/dx = 6(1 + 3x).
        let layer = try LayerTest.make(power(2, scale: 3, shift: 1))
        let bottom = NeuronTest.blob([2], [1, -1])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 0.5])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [24, -6])
        // y = (2x)³ (shift 0: Caffe's power·y/x), dy/dx = 24x²; at x = 0 the slope is 0, not NaN.
        let cube = try LayerTest.make(power(3, scale: 2, shift: 0))
        let b = NeuronTest.blob([2], [0.5, 0])
        let t = try LayerTest.setUp(cube, bottom: [b])
        try cube.forward(bottom: [b], top: t)
        t[0].setDiff([1, 1])
        try cube.backward(top: t, propagateDown: [true], bottom: [b])
        XCTAssertEqual(b.diffArray, [6, 0])
    }

    func testGradient() throws {
        // Strong curvature: at the default step 1e-2 the checker would take the smooth
        // parabola / cubic for kinks (its one-sided slopes differ by f''·h), so use 1e-3.
        let fine = GradientChecker(stepsize: 1e-3)
        try NeuronTest.check(power(2, scale: 3, shift: 1), shape: [2, 3, 4], checker: fine)
        try NeuronTest.check(power(0.5, scale: 1, shift: 2), shape: [3, 5])
        try NeuronTest.check(power(3, scale: 2, shift: 0), shape: [2, 7], checker: fine)
        try NeuronTest.check(power(-1.5, scale: 0.5, shift: 3), shape: [2, 3, 5])
        try NeuronTest.check(power(1, scale: 2, shift: 1), shape: [9])
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(power(2, scale: 3, shift: 1), shape: [2, 3, 4])
        try NeuronTest.assertInPlaceMatches(power(-0.75, scale: 0.5, shift: 2), shape: [3, 5])
        try NeuronTest.assertInPlaceMatches(power(3, scale: 2, shift: 0), shape: [3, 5])
        try NeuronTest.assertInPlaceMatches(power(1, scale: -2, shift: 1), shape: [7])
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Power""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        var param = Caffe_LayerParameter()
        param.type = "Power"
        param.powerParam.scale = .infinity
        let e = TestSupport.error { _ = try LayerRegistry.builtIn.makeLayer(param) }
        XCTAssertEqual(e?.field, "power_param.scale")
    }
}
