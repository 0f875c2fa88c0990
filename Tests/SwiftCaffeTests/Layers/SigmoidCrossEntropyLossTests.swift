import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class SigmoidCrossEntropyLossTests: XCTestCase {
    /// −[t log σ(x) + (1 − t) log(1 − σ(x))], the textbook form (fine for small |x|).
    func crossEntropy(_ x: Float, _ t: Float) -> Double {
        let s = 1 / (1 + exp(-Double(x)))
        return -(Double(t) * log(s) + (1 - Double(t)) * log(1 - s))
    }

    func sigmoid(_ x: Float) -> Double { 1 / (1 + exp(-Double(x))) }

    func testForwardAndBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "SigmoidCrossEntropyLoss""#)
        let x = NeuronTest.blob([2, 3], [1, -2, 0.5, 0, 3, -1])
        let t = NeuronTest.blob([2, 3], [1, 0, 1, 0, 1, 0.25])
        let top = try LayerTest.setUp(layer, bottom: [x, t])
        XCTAssertEqual(top[0].shape, [])
        try layer.forward(bottom: [x, t], top: top)
        // Default normalization BATCH_SIZE: the sum of the six terms over N = 2.
        let xs = x.dataArray, ts = t.dataArray
        let expected = zip(xs, ts).map { crossEntropy($0, $1) }.reduce(0, +) / 2
        XCTAssertEqual(Double(top[0].dataArray[0]), expected, accuracy: 1e-5)
        // x = 0, t = 0 alone is log 2: a spot check of the formula itself.
        XCTAssertEqual(crossEntropy(0, 0), log(2.0), accuracy: 1e-12)

        top[0].setDiff([3])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [x, t])
        let grad = zip(xs, ts).map { Float((sigmoid($0) - Double($1)) * 3 / 2) }
        NeuronTest.assertClose(x.diffArray, grad, accuracy: 1e-6, "x diff")
    }

    func testLargeScoresStayFinite() throws {
        // ℓ = max(x, 0) − x·t + log(1 + e^−|x|): 50, 50 and 0 (to float precision).
        let layer = try LayerTest.make(#"type: "SigmoidCrossEntropyLoss""#)
        let x = NeuronTest.blob([3], [50, -50, 100]), t = NeuronTest.blob([3], [0, 1, 1])
        let top = try LayerTest.setUp(layer, bottom: [x, t])
        try layer.forward(bottom: [x, t], top: top)
        XCTAssertEqual(top[0].dataArray[0], 100.0 / 3, accuracy: 1e-4)
        top[0].setDiff([1])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [x, t])
        NeuronTest.assertClose(x.diffArray, [1.0 / 3, -1.0 / 3, 0], accuracy: 1e-6)
    }

    /// x 2 × 3 with two targets equal to the ignore_label −1: four terms count.
    func loss(_ lossParam: String, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let layer = try LayerTest.make(#"type: "SigmoidCrossEntropyLoss" "# + lossParam)
        let x = NeuronTest.blob([2, 3], [1, -2, 0.5, 0, 3, -1])
        let t = NeuronTest.blob([2, 3], [1, -1, 1, 0, -1, 0])
        let top = try LayerTest.setUp(layer, bottom: [x, t])
        try layer.forward(bottom: [x, t], top: top)
        return top[0].dataArray[0]
    }

    func testNormalizationModesAndIgnoreLabel() throws {
        let sum = crossEntropy(1, 1) + crossEntropy(0.5, 1) + crossEntropy(0, 0) + crossEntropy(-1, 0)
        let ignore = "loss_param { ignore_label: -1 "
        let cases: [(String, Double)] = [
            (ignore + "}", sum / 2),                                    // Caffe's default here: BATCH_SIZE
            (ignore + "normalization: BATCH_SIZE }", sum / 2),
            (ignore + "normalization: VALID }", sum / 4),
            (ignore + "normalization: FULL }", sum / 6),
            (ignore + "normalization: NONE }", sum),
            (ignore + "normalize: true }", sum / 4),                    // legacy: VALID
            (ignore + "normalize: false }", sum / 2),                   // legacy: BATCH_SIZE
            (ignore + "normalize: true normalization: NONE }", sum),    // normalization wins
        ]
        for (text, expected) in cases {
            XCTAssertEqual(Double(try loss(text)), expected, accuracy: 1e-5, text)
        }
        XCTAssertEqual((try LayerTest.make(#"type: "SigmoidCrossEntropyLoss""#) as? SigmoidCrossEntropyLossLayer)?
            .normalization, .batchSize)
    }

    func testIgnoredTargetsGetNoGradientAndAllIgnoredIsZero() throws {
        let layer = try LayerTest.make(#"type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: 7 normalization: VALID }"#)
        let x = NeuronTest.blob([2, 2], [1, 2, 3, 4]), t = NeuronTest.blob([2, 2], [7, 1, 7.5, 0])
        let top = try LayerTest.setUp(layer, bottom: [x, t])
        try layer.forward(bottom: [x, t], top: top)
        // 7.5 truncates to 7, as Caffe's static_cast<int>: two terms, over 2.
        XCTAssertEqual(Double(top[0].dataArray[0]), (crossEntropy(2, 1) + crossEntropy(4, 0)) / 2, accuracy: 1e-5)
        top[0].setDiff([1])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [x, t])
        XCTAssertEqual(x.diffArray[0], 0)
        XCTAssertEqual(x.diffArray[2], 0)
        XCTAssertEqual(Double(x.diffArray[1]), (sigmoid(2) - 1) / 2, accuracy: 1e-6)

        t.setData([7, 7, 7, 7])
        try layer.forward(bottom: [x, t], top: top)
        XCTAssertEqual(top[0].dataArray[0], 0)   // normalizer max(1, 0)
    }

    func testGradientEachNormalization() throws {
        for mode in ["VALID", "BATCH_SIZE", "FULL", "NONE"] {
            let layer = try LayerTest.make(
                #"type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 normalization: "# + mode + " }")
            let x = LayerTest.blob([3, 2, 2], low: -3, high: 3, seed: 11)
            let t = LayerTest.blob([3, 2, 2], low: 0, high: 1, seed: 12)
            t.data[1] = -1
            t.data[7] = -1
            let top = try LayerTest.setUp(layer, bottom: [x, t])
            try GradientChecker().check(layer, bottom: [x, t], top: top, bottomsToCheck: [0])
        }
    }

    func testCountRulesAndErrors() throws {
        let layer = try LayerTest.make(#"type: "SigmoidCrossEntropyLoss""#)
        XCTAssertTrue(layer.isLossLayer)
        XCTAssertTrue(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 1))
        let mismatch = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2, 2)]) }
        XCTAssertTrue(mismatch?.message.contains("same count") ?? false, "\(String(describing: mismatch))")
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3)]) })

        let x = LayerTest.blob([2, 3]), t = LayerTest.blob([2, 3], low: 0, high: 1)
        let top = try LayerTest.setUp(layer, bottom: [x, t])
        try layer.forward(bottom: [x, t], top: top)
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true], bottom: [x, t]) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its target input") ?? false, "\(String(describing: e))")
        XCTAssertTrue(e?.hint?.contains("propagate_down: true propagate_down: false") ?? false)
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: 0 }"#)
        let x = LayerTest.blob([4, 3]), t = LayerTest.blob([4, 3], low: 0, high: 1, seed: 2)
        try StructureFixtures.assertNoAllocations(layer, bottom: [x, t], top: try LayerTest.setUp(layer, bottom: [x, t]),
                                                  propagateDown: [true, false])
    }

    /// Multi-label regression of 2 examples onto 3 targets: with zero weights every σ is ½.
    func testInANetForwardAndBackward() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" top: "t"
                    input_param { shape { dim: 2 dim: 2 } shape { dim: 2 dim: 3 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "score"
                    inner_product_param { num_output: 3 weight_filler { type: "constant" value: 0 } } }
            layer { name: "loss" type: "SigmoidCrossEntropyLoss" bottom: "score" bottom: "t" top: "loss" }
            """)
        try XCTUnwrap(net.blob(named: "x")).setData([1, 2, -1, 4])
        try XCTUnwrap(net.blob(named: "t")).setData([1, 0, 1, 0, 0, 1])
        // Six terms of log 2 over N = 2.
        XCTAssertEqual(try net.forward(), Float(3 * log(2.0)), accuracy: 1e-5)
        try net.backward()
        // ∂L/∂W[k] = Σ_n (½ − t_nk) x_n / 2.
        let w = try XCTUnwrap(net.layer(named: "ip")).blobs[0]
        NeuronTest.assertClose(w.diffArray, [
            (-0.5 * 1 + 0.5 * -1) / 2, (-0.5 * 2 + 0.5 * 4) / 2,
            (0.5 * 1 + 0.5 * -1) / 2, (0.5 * 2 + 0.5 * 4) / 2,
            (-0.5 * 1 - 0.5 * -1) / 2, (-0.5 * 2 - 0.5 * 4) / 2,
        ], "weight diff")
    }
}
