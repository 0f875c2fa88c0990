import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class MultinomialLogisticLossTests: XCTestCase {
    func testForwardAndBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "MultinomialLogisticLoss""#)
        // The third example gives its class probability 0: Caffe's threshold 1e-20 applies.
        let p = NeuronTest.blob([3, 3], [0.2, 0.5, 0.3, 0.7, 0.1, 0.2, 0, 1, 0])
        let labels = NeuronTest.blob([3], [1, 0, 2])
        let top = try LayerTest.setUp(layer, bottom: [p, labels])
        XCTAssertEqual(top[0].shape, [])
        try layer.forward(bottom: [p, labels], top: top)
        XCTAssertEqual(Double(top[0].dataArray[0]), -(log(0.5) + log(0.7) + log(1e-20)) / 3, accuracy: 1e-4)

        top[0].setDiff([2])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [p, labels])
        // −top_diff / (N · p[label]) at the label, 0 elsewhere.
        let expected: [Float] = [0, -2 / (3 * 0.5), 0, -2 / (3 * 0.7), 0, 0, 0, 0, -2 / (3 * 1e-20)]
        NeuronTest.assertClose(p.diffArray, expected, accuracy: 1e-6)
    }

    func testGradient() throws {
        let layer = try LayerTest.make(#"type: "MultinomialLogisticLoss""#)
        let p = LayerTest.blob([4, 3, 1, 1], low: 0.4, high: 1, seed: 8), labels = NeuronTest.blob([4, 1, 1, 1], [2, 0, 1, 2])
        let top = try LayerTest.setUp(layer, bottom: [p, labels])
        try GradientChecker().check(layer, bottom: [p, labels], top: top, bottomsToCheck: [0])
    }

    func testErrorsAndCountRules() throws {
        let layer = try LayerTest.make(#"type: "MultinomialLogisticLoss""#)
        XCTAssertTrue(layer.isLossLayer)
        XCTAssertEqual((0..<2).map(layer.allowsForceBackward), [true, false])
        let count = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2, 3)]) }
        XCTAssertTrue(count?.message.contains("one class index per example") ?? false, "\(String(describing: count))")

        let p = LayerTest.blob([2, 3], low: 0.1, high: 1), labels = NeuronTest.blob([2], [-1, 0])
        let top = try LayerTest.setUp(layer, bottom: [p, labels])
        let range = TestSupport.error { try layer.forward(bottom: [p, labels], top: top) }
        XCTAssertTrue(range?.message.contains("label -1.0 at index 0") ?? false, "\(String(describing: range))")

        labels.setData([2, 0])
        try layer.forward(bottom: [p, labels], top: top)
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true], bottom: [p, labels]) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its label input") ?? false, "\(String(describing: e))")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "MultinomialLogisticLoss""#)
        let p = LayerTest.blob([3, 4], low: 0.1, high: 1), labels = NeuronTest.blob([3], [0, 3, 1])
        try StructureFixtures.assertNoAllocations(layer, bottom: [p, labels],
                                                  top: try LayerTest.setUp(layer, bottom: [p, labels]),
                                                  propagateDown: [true, false])
    }

    /// InnerProduct → Softmax → MultinomialLogisticLoss: zero weights give p = ⅓ each.
    func testInANetAfterSoftmax() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" top: "label"
                    input_param { shape { dim: 2 dim: 2 } shape { dim: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "score"
                    inner_product_param { num_output: 3 weight_filler { type: "constant" value: 0 } } }
            layer { name: "prob" type: "Softmax" bottom: "score" top: "prob" }
            layer { name: "loss" type: "MultinomialLogisticLoss" bottom: "prob" bottom: "label" top: "loss" }
            """)
        try XCTUnwrap(net.blob(named: "x")).setData([1, 2, 3, -1])
        try XCTUnwrap(net.blob(named: "label")).setData([0, 2])
        XCTAssertEqual(try net.forward(), Float(log(3.0)), accuracy: 1e-6)
        try net.backward()
        // As SoftmaxWithLoss: ∂W[k] = Σ_n (⅓ − y_nk) x_n / N.
        let w = try XCTUnwrap(net.layer(named: "ip")).blobs[0]
        NeuronTest.assertClose(w.diffArray, [1.0 / 6, -5.0 / 6, 2.0 / 3, 1.0 / 6, -5.0 / 6, 2.0 / 3],
                               accuracy: 1e-5, "weight diff")
    }
}
