import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Test-only layers with a deliberately wrong or non-smooth backward.

/// max(x, 0) forward, but the gradient with the sign flipped.
final class FlippedSignReLU: Layer {
    override func reshape(bottom: [Blob], top: [Blob]) throws { try top[0].reshape(like: bottom[0]) }
    override func forward(bottom: [Blob], top: [Blob]) throws {
        for i in 0..<bottom[0].count { top[0].data[i] = max(bottom[0].data[i], 0) }
    }
    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for i in 0..<bottom[0].count { bottom[0].diff[i] = bottom[0].data[i] > 0 ? -top[0].diff[i] : 0 }
    }
}

/// y = |x| with the correct gradient sign(x): a kink at 0.
final class AbsoluteValue: Layer {
    override func reshape(bottom: [Blob], top: [Blob]) throws { try top[0].reshape(like: bottom[0]) }
    override func forward(bottom: [Blob], top: [Blob]) throws {
        for i in 0..<bottom[0].count { top[0].data[i] = abs(bottom[0].data[i]) }
    }
    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for i in 0..<bottom[0].count {
            let x = bottom[0].data[i]
            bottom[0].diff[i] = x > 0 ? top[0].diff[i] : x < 0 ? -top[0].diff[i] : 0
        }
    }
}

/// A real InnerProduct whose parameter and/or bottom gradients are scaled by a wrong factor.
final class OffByFactorInnerProduct: Layer {
    var inner: Layer!
    var bottomFactor: Float = 1
    var weightFactor: Float = 1
    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        inner = try LayerTest.make(#"type: "InnerProduct" inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 1 } bias_filler { type: "gaussian" std: 1 } }"#)
        try inner.setUp(bottom: bottom, top: top, random: random)
        blobs = inner.blobs
    }
    override func reshape(bottom: [Blob], top: [Blob]) throws { try inner.reshape(bottom: bottom, top: top) }
    override func forward(bottom: [Blob], top: [Blob]) throws { try inner.forward(bottom: bottom, top: top) }
    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        inner.paramPropagateDown = paramPropagateDown
        let before = blobs[0].diffArray
        try inner.backward(top: top, propagateDown: propagateDown, bottom: bottom)
        for i in 0..<blobs[0].count { blobs[0].diff[i] = before[i] + (blobs[0].diff[i] - before[i]) * weightFactor }
        for i in 0..<bottom[0].count { bottom[0].diff[i] *= bottomFactor }
    }
}

final class GradientCheckerTests: XCTestCase {
    func param(_ type: String) -> Caffe_LayerParameter {
        var p = Caffe_LayerParameter()
        p.name = "test"
        p.type = type
        return p
    }

    func testCatchesAFlippedSign() throws {
        let layer = try FlippedSignReLU(param: param("FlippedSignReLU"))
        // Values away from 0, so no kink is skipped and every positive element must disagree.
        let input = LayerTest.blob([2, 3, 4], low: 0.1, high: 1, seed: 3)
        for i in stride(from: 0, to: input.count, by: 2) { input.data[i] = -input.data[i] }
        let top = try LayerTest.setUp(layer, bottom: [input])
        let result = try GradientChecker().mismatches(layer, bottom: [input], top: top)
        XCTAssertEqual(result.skipped, 0)
        XCTAssertEqual(result.mismatches.count, input.count / 2, "every positive input is wrong")
        XCTAssertTrue(result.mismatches.allSatisfy { $0.index % 2 == 1 && abs($0.analytic + $0.numeric) < 1e-3 },
                      "\(result.mismatches)")
    }

    func testCatchesAWrongFactorAndPassesTheRealLayer() throws {
        let input = LayerTest.blob([2, 5], seed: 4)
        let real = try LayerTest.make(#"type: "InnerProduct" inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 1 } bias_filler { type: "gaussian" std: 1 } }"#)
        let realTop = try LayerTest.setUp(real, bottom: [input])
        let good = try GradientChecker().mismatches(real, bottom: [input], top: realTop)
        XCTAssertTrue(good.mismatches.isEmpty, "\(good.mismatches)")
        XCTAssertEqual(good.checked, 10 + 15 + 3)

        // Bottom gradient 1.5× too large: all 10 bottom elements flagged, no parameter.
        let wrongBottom = try OffByFactorInnerProduct(param: param("OffByFactor"))
        wrongBottom.bottomFactor = 1.5
        let top1 = try LayerTest.setUp(wrongBottom, bottom: [input])
        let bad1 = try GradientChecker().mismatches(wrongBottom, bottom: [input], top: top1)
        XCTAssertEqual(Set(bad1.mismatches.map(\.blob)), ["bottom 0"])
        XCTAssertEqual(bad1.mismatches.count, 10)

        // Weight gradient 1% too small: caught in the weights only (10× the checker's threshold).
        let wrongWeights = try OffByFactorInnerProduct(param: param("OffByFactor"))
        wrongWeights.weightFactor = 0.99
        let top2 = try LayerTest.setUp(wrongWeights, bottom: [input])
        let bad2 = try GradientChecker().mismatches(wrongWeights, bottom: [input], top: top2)
        XCTAssertEqual(Set(bad2.mismatches.map(\.blob)), ["param 0"])
        XCTAssertGreaterThan(bad2.mismatches.count, 0)
    }

    func testKinksAreSkippedNotReported() throws {
        let layer = try AbsoluteValue(param: param("AbsoluteValue"))
        let input = LayerTest.blob([4, 5], seed: 5)
        // Exactly at the kink, and within one step (0.01) of it on either side.
        input.data[0] = 0
        input.data[1] = 0.003
        input.data[2] = -0.004
        let top = try LayerTest.setUp(layer, bottom: [input])
        let result = try GradientChecker().mismatches(layer, bottom: [input], top: top)
        XCTAssertTrue(result.mismatches.isEmpty, "\(result.mismatches)")
        XCTAssertGreaterThanOrEqual(result.skipped, 3)  // the three above, and any random value that near 0
        XCTAssertLessThanOrEqual(result.skipped, 4)
        XCTAssertEqual(result.checked + result.skipped, input.count)
        // And the asserting form passes.
        try GradientChecker().check(layer, bottom: [input], top: top)
    }
}
