import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class ContrastiveLossTests: XCTestCase {
    /// Three pairs of 2-vectors: a similar pair at d² = 4, a dissimilar pair at d = 0.6
    /// (inside the margin 1), a dissimilar pair at d = 5 (outside it).
    func pairs(similarity: [Float] = [1, 0, 0]) -> (Blob, Blob, Blob) {
        (NeuronTest.blob([3, 2], [1, 2, 0, 0, 3, 0]),
         NeuronTest.blob([3, 2], [1, 0, 0.36, 0.48, 0, 4]),
         NeuronTest.blob([3], similarity))
    }

    func run(_ text: String, similarity: [Float] = [1, 0, 0], topDiff: Float = 1)
        throws -> (loss: Float, aDiff: [Float], bDiff: [Float]) {
        let layer = try LayerTest.make(#"type: "ContrastiveLoss" "# + text)
        let (a, b, y) = pairs(similarity: similarity)
        let top = try LayerTest.setUp(layer, bottom: [a, b, y])
        XCTAssertEqual(top[0].shape, [])
        try layer.forward(bottom: [a, b, y], top: top)
        top[0].setDiff([topDiff])
        try layer.backward(top: top, propagateDown: [true, true, false], bottom: [a, b, y])
        return (top[0].dataArray[0], a.diffArray, b.diffArray)
    }

    func testForwardAndBackwardByHand() throws {
        // (4 + (1 − 0.6)² + 0) / (2 · 3)
        let r = try run("", topDiff: 3)
        XCTAssertEqual(r.loss, (4 + 0.16) / 6, accuracy: 1e-6)
        // top_diff / N = 1. Similar: a − b = (0, 2). Dissimilar inside the margin:
        // −(1 − d)/(d + 1e-4) · (a − b) with a − b = (−0.36, −0.48). Outside: 0.
        let beta: Float = -(1 - 0.6) / (0.6 + 1e-4)
        let aDiff: [Float] = [0, 2, beta * -0.36, beta * -0.48, 0, 0]
        NeuronTest.assertClose(r.aDiff, aDiff, accuracy: 1e-6, "a diff")
        NeuronTest.assertClose(r.bDiff, aDiff.map { -$0 }, accuracy: 1e-6, "b diff")
    }

    func testLegacyVersion() throws {
        // max(1 − d², 0) = 0.64 for the dissimilar pair inside the margin; 1 − 25 < 0 outside.
        let r = try run("contrastive_loss_param { legacy_version: true }")
        XCTAssertEqual(r.loss, (4 + 0.64) / 6, accuracy: 1e-6)
        // Legacy gradient of the dissimilar pair: −(a − b) / N.
        let aDiff: [Float] = [0, 2.0 / 3, 0.36 / 3, 0.48 / 3, 0, 0]
        NeuronTest.assertClose(r.aDiff, aDiff, accuracy: 1e-6, "a diff")
        NeuronTest.assertClose(r.bDiff, aDiff.map { -$0 }, accuracy: 1e-6, "b diff")
    }

    func testMarginAndSimilarityTruncation() throws {
        // Margin 2: (2 − 0.6)² = 1.96; d = 5 still outside. Legacy: 2 − 0.36 = 1.64.
        XCTAssertEqual(try run("contrastive_loss_param { margin: 2 }").loss, (4 + 1.96) / 6, accuracy: 1e-6)
        XCTAssertEqual(try run("contrastive_loss_param { margin: 2 legacy_version: true }").loss,
                       (4 + 1.64) / 6, accuracy: 1e-6)
        // Similarity is static_cast<int>(y) != 0: 0.5 is dissimilar (0.16, not d² = 0.36),
        // −1 and 2 similar (d² = 25 for the last pair; the first, dissimilar at d = 2, gives 0).
        XCTAssertEqual(try run("", similarity: [1, 0.5, 0]).loss, (4 + 0.16) / 6, accuracy: 1e-6)
        XCTAssertEqual(try run("", similarity: [0, 0, -1]).loss, (0 + 0.16 + 25) / 6, accuracy: 1e-5)
        XCTAssertEqual(try run("", similarity: [2, 0, 0]).loss, (4 + 0.16) / 6, accuracy: 1e-6)
        let layer = try XCTUnwrap(try LayerTest.make(#"type: "ContrastiveLoss""#) as? ContrastiveLossLayer)
        XCTAssertEqual(layer.margin, 1)
        XCTAssertFalse(layer.legacyVersion)
    }

    func gradientCheck(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try LayerTest.make(#"type: "ContrastiveLoss" "# + text)
        let a = LayerTest.blob([5, 3], seed: 3), b = LayerTest.blob([5, 3], seed: 4)
        let y = NeuronTest.blob([5], [1, 0, 0, 1, 0])
        let top = try LayerTest.setUp(layer, bottom: [a, b, y])
        try GradientChecker().check(layer, bottom: [a, b, y], top: top, bottomsToCheck: [0, 1], file: file, line: line)
    }

    func testGradientBothVersions() throws {
        try gradientCheck("")
        try gradientCheck("contrastive_loss_param { legacy_version: true margin: 2 }")
        try gradientCheck("contrastive_loss_param { margin: 1.5 }")
    }

    func testErrorsAndCountRules() throws {
        var param = Caffe_LayerParameter()
        param.type = "ContrastiveLoss"
        param.contrastiveLossParam.margin = .infinity
        let margin = TestSupport.error { _ = try LayerTest.make(param) }
        XCTAssertEqual(margin?.field, "contrastive_loss_param.margin")

        let layer = try LayerTest.make(#"type: "ContrastiveLoss""#)
        XCTAssertTrue(layer.isLossLayer)
        XCTAssertEqual((0..<3).map(layer.allowsForceBackward), [true, true, false])
        let shapes = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2, 4), Blob(2)]) }
        XCTAssertTrue(shapes?.message.contains("same shape") ?? false, "\(String(describing: shapes))")
        let labels = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2, 3), Blob(3)]) }
        XCTAssertTrue(labels?.message.contains("one value per pair") ?? false, "\(String(describing: labels))")
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2, 3)]) })

        let (a, b, y) = pairs()
        let top = try LayerTest.setUp(layer, bottom: [a, b, y])
        try layer.forward(bottom: [a, b, y], top: top)
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true, true], bottom: [a, b, y]) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its similarity label input (bottom 2)") ?? false,
                      "\(String(describing: e))")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "ContrastiveLoss""#)
        let (a, b, y) = pairs()
        try StructureFixtures.assertNoAllocations(layer, bottom: [a, b, y], top: try LayerTest.setUp(layer, bottom: [a, b, y]),
                                                  propagateDown: [true, true, false])
    }

    /// A siamese net: both branches share one 2 × 2 weight matrix of 0.5s.
    func testSiameseNetForwardAndBackward() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x1" top: "x2" top: "sim"
                    input_param { shape { dim: 2 dim: 2 } shape { dim: 2 dim: 2 } shape { dim: 2 } } }
            layer { name: "ip1" type: "InnerProduct" bottom: "x1" top: "f1" param { name: "w" }
                    inner_product_param { num_output: 2 bias_term: false weight_filler { type: "constant" value: 0.5 } } }
            layer { name: "ip2" type: "InnerProduct" bottom: "x2" top: "f2" param { name: "w" }
                    inner_product_param { num_output: 2 bias_term: false weight_filler { type: "constant" value: 0.5 } } }
            layer { name: "loss" type: "ContrastiveLoss" bottom: "f1" bottom: "f2" bottom: "sim" top: "loss" }
            """)
        try XCTUnwrap(net.blob(named: "x1")).setData([1, 1, 2, 0])
        try XCTUnwrap(net.blob(named: "x2")).setData([0, 0, 0, 1])
        try XCTUnwrap(net.blob(named: "sim")).setData([1, 0])
        // f1 = (1, 1), (1, 1); f2 = (0, 0), (0.5, 0.5). Similar pair: d² = 2; dissimilar: d = √½.
        let d = Float(0.5).squareRoot()
        XCTAssertEqual(try net.forward(), (2 + (1 - d) * (1 - d)) / 4, accuracy: 1e-6)
        for p in net.learnableParams { p.fillDiff(0) }
        try net.backward()
        // ∂L/∂f1 = (0.5, 0.5) and −c · (0.5, 0.5) with c = ½ (1 − d)/(d + 1e-4); ∂L/∂f2 the
        // opposite; ∂L/∂W = Σ ∂L/∂f · xᵀ over both branches (x2 of the similar pair is 0).
        let c = 0.5 * (1 - d) / (d + 1e-4)
        XCTAssertEqual(net.learnableParams.count, 1)
        NeuronTest.assertClose(net.learnableParams[0].diffArray, [0.5 - c, 0.5 + c / 2, 0.5 - c, 0.5 + c / 2],
                               accuracy: 1e-5, "shared weight diff")
    }
}
