import CaffeProto
import XCTest
@testable import SwiftCaffe

final class HingeLossTests: XCTestCase {
    /// 2 examples × 3 classes, labels 0 and 1. Margins max(0, 1 ∓ x):
    /// example 0: true class 1 − 2 → 0; others 1 − 0.5 = 0.5, 1 + 0.3 = 1.3;
    /// example 1: 1 + 0.1 = 1.1; true class 1 − 0.8 = 0.2; 1 − 2 → 0.
    func run(_ text: String) throws -> (loss: Float, diff: [Float]) {
        let layer = try LayerTest.make(#"type: "HingeLoss" "# + text)
        let x = NeuronTest.blob([2, 3], [2, -0.5, 0.3, 0.1, 0.8, -2]), labels = NeuronTest.blob([2], [0, 1])
        let top = try LayerTest.setUp(layer, bottom: [x, labels])
        XCTAssertEqual(top[0].shape, [])
        try layer.forward(bottom: [x, labels], top: top)
        top[0].setDiff([1])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [x, labels])
        return (top[0].dataArray[0], x.diffArray)
    }

    func testL1ByHand() throws {
        for text in ["", "hinge_loss_param { norm: L1 }"] {
            let r = try run(text)
            XCTAssertEqual(r.loss, (0 + 0.5 + 1.3 + 1.1 + 0.2 + 0) / 2, accuracy: 1e-6)
            // −δ · sign(t) / N: 0 where the margin is met.
            NeuronTest.assertClose(r.diff, [0, 0.5, 0.5, 0.5, -0.5, 0], accuracy: 1e-6, text)
        }
        XCTAssertEqual((try LayerTest.make(#"type: "HingeLoss""#) as? HingeLossLayer)?.norm, .l1)
    }

    func testL2ByHand() throws {
        let r = try run("hinge_loss_param { norm: L2 }")
        XCTAssertEqual(r.loss, (0.25 + 1.69 + 1.21 + 0.04) / 2, accuracy: 1e-6)
        // −2δ · t / N.
        NeuronTest.assertClose(r.diff, [0, 0.5, 1.3, 1.1, -0.2, 0], accuracy: 1e-6)
    }

    func testGradientBothNorms() throws {
        for norm in ["L1", "L2"] {
            let layer = try LayerTest.make(#"type: "HingeLoss" hinge_loss_param { norm: "# + norm + " }")
            let x = LayerTest.blob([3, 4], low: -3, high: 3, seed: 5), labels = NeuronTest.blob([3], [3, 0, 2])
            let top = try LayerTest.setUp(layer, bottom: [x, labels])
            try GradientChecker().check(layer, bottom: [x, labels], top: top, bottomsToCheck: [0])
        }
    }

    func testErrorsAndCountRules() throws {
        let layer = try LayerTest.make(#"type: "HingeLoss""#)
        XCTAssertTrue(layer.isLossLayer)
        XCTAssertEqual((0..<2).map(layer.allowsForceBackward), [true, false])
        let count = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(3)]) }
        XCTAssertTrue(count?.message.contains("one class index per example") ?? false, "\(String(describing: count))")
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3)]) })

        let x = LayerTest.blob([2, 3]), labels = NeuronTest.blob([2], [1, 3])
        let top = try LayerTest.setUp(layer, bottom: [x, labels])
        let range = TestSupport.error { try layer.forward(bottom: [x, labels], top: top) }
        XCTAssertTrue(range?.message.contains("label 3.0 at index 1") ?? false, "\(String(describing: range))")
        XCTAssertEqual(range?.hint, "labels must be class indices")

        labels.setData([1, 2])
        try layer.forward(bottom: [x, labels], top: top)
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true], bottom: [x, labels]) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its label input") ?? false, "\(String(describing: e))")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "HingeLoss" hinge_loss_param { norm: L2 }"#)
        let x = LayerTest.blob([3, 4]), labels = NeuronTest.blob([3], [0, 3, 1])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x, labels],
                                                  top: try LayerTest.setUp(layer, bottom: [x, labels]),
                                                  propagateDown: [true, false])
    }

    /// A linear SVM: InnerProduct + HingeLoss. Zero weights: every margin is 1.
    func testLinearSVMNetForwardAndBackward() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" top: "label"
                    input_param { shape { dim: 2 dim: 2 } shape { dim: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "score"
                    inner_product_param { num_output: 3 weight_filler { type: "constant" value: 0 } } }
            layer { name: "loss" type: "HingeLoss" bottom: "score" bottom: "label" top: "loss" }
            """)
        try XCTUnwrap(net.blob(named: "x")).setData([1, 2, 3, -1])
        try XCTUnwrap(net.blob(named: "label")).setData([0, 2])
        XCTAssertEqual(try net.forward(), 6.0 / 2)
        try net.backward()
        // ∂L/∂score = −½ for the true class, +½ for the others; ∂W[k] = Σ_n ∂score_nk · x_n.
        let ip = try XCTUnwrap(net.layer(named: "ip"))
        NeuronTest.assertClose(ip.blobs[0].diffArray, [1, -1.5, 2, 0.5, -1, 1.5], "weight diff")
        NeuronTest.assertClose(ip.blobs[1].diffArray, [0, 1, 0], "bias diff")
    }
}
