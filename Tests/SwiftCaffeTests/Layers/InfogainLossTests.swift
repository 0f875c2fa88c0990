import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class InfogainLossTests: XCTestCase {
    /// H[label][k]: row 1 rewards class 1 and a little 0 and 2; row 2 only class 2.
    let h: [Float] = [1, 0.5, 0,
                      0.2, 1, 0.1,
                      0, 0, 2]
    let probabilities: [Float] = [0.2, 0.5, 0.3,
                                  0.6, 0.3, 0.1]
    let labels: [Float] = [1, 0]

    /// −Σ_k H[label, k] log p_k for one example.
    func term(_ p: ArraySlice<Float>, row label: Int, classes: Int = 3) -> Double {
        zip(p, h[(label * classes)..<(label * classes + classes)]).map { -Double($1) * log(Double($0)) }.reduce(0, +)
    }

    /// H written as a BlobProto file, in Caffe's legacy 1 × 1 × K × K form.
    func writeMatrix(_ values: [Float], classes: Int) throws -> String {
        var proto = Caffe_BlobProto()
        (proto.num, proto.channels, proto.height, proto.width) = (1, 1, Int32(classes), Int32(classes))
        proto.data = values
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("infogain.binaryproto")
        let bytes: [UInt8] = try proto.serializedBytes()
        try Data(bytes).write(to: url)
        return url.path
    }

    func checkByHand(_ layer: Layer, bottom: [Blob], file: StaticString = #filePath, line: UInt = #line) throws {
        let top = try LayerTest.setUp(layer, bottom: bottom)
        XCTAssertEqual(top[0].shape, [], file: file, line: line)
        try layer.forward(bottom: bottom, top: top)
        let expected = (term(probabilities[0..<3], row: 1) + term(probabilities[3..<6], row: 0)) / 2
        XCTAssertEqual(Double(top[0].dataArray[0]), expected, accuracy: 1e-6, file: file, line: line)
        top[0].setDiff([1])
        try layer.backward(top: top, propagateDown: bottom.indices.map { $0 == 0 }, bottom: bottom)
        // −H[label, k] / (N · p_k).
        let rows = [1, 0]
        let grad: [Float] = (0..<6).map { (i: Int) -> Float in
            let weight: Float = h[rows[i / 3] * 3 + i % 3]
            return -weight / (2 * probabilities[i])
        }
        NeuronTest.assertClose(bottom[0].diffArray, grad, accuracy: 1e-6, "probability diff", file: file, line: line)
    }

    func testMatrixAsThirdBottom() throws {
        let layer = try LayerTest.make(#"type: "InfogainLoss""#)
        try checkByHand(layer, bottom: [NeuronTest.blob([2, 3], probabilities), NeuronTest.blob([2], labels),
                                        NeuronTest.blob([3, 3], h)])
    }

    func testMatrixFromBinaryproto() throws {
        let path = try writeMatrix(h, classes: 3)
        let layer = try LayerTest.make(#"type: "InfogainLoss" infogain_loss_param { source: ""# + path + #"" }"#)
        try checkByHand(layer, bottom: [NeuronTest.blob([2, 3, 1, 1], probabilities), NeuronTest.blob([2, 1, 1, 1], labels)])
    }

    func testIdentityIsMultinomialLogisticLossWithThreshold() throws {
        let layer = try LayerTest.make(#"type: "InfogainLoss""#)
        let p = NeuronTest.blob([2, 2], [0, 1, 0.25, 0.75]), y = NeuronTest.blob([2], [0, 1])
        let top = try LayerTest.setUp(layer, bottom: [p, y, NeuronTest.blob([2, 2], [1, 0, 0, 1])])
        try layer.forward(bottom: [p, y, NeuronTest.blob([2, 2], [1, 0, 0, 1])], top: top)
        // p = 0 counts as 1e-20 (kLOG_THRESHOLD); a zero weight times log 1e-20 adds nothing.
        XCTAssertEqual(Double(top[0].dataArray[0]), -(log(1e-20) + log(0.75)) / 2, accuracy: 1e-4)
    }

    /// Classes on axis 1 of 1 × 2 × 2 (two positions), and on the last axis of 2 × 2.
    func testAxis() throws {
        let layer = try LayerTest.make(#"type: "InfogainLoss""#)
        // p[class][position]: position 0 = (0.3, 0.7), position 1 = (0.9, 0.1); labels 1, 0.
        let p = NeuronTest.blob([1, 2, 2], [0.3, 0.9, 0.7, 0.1]), y = NeuronTest.blob([1, 2], [1, 0])
        let square = NeuronTest.blob([2, 2], [2, 0, 1, 3])
        let top = try LayerTest.setUp(layer, bottom: [p, y, square])
        try layer.forward(bottom: [p, y, square], top: top)
        // BATCH_SIZE divides by outer = 1.
        let expected = -(1 * log(0.3) + 3 * log(0.7)) - (2 * log(0.9) + 0 * log(0.1))
        XCTAssertEqual(Double(top[0].dataArray[0]), expected, accuracy: 1e-5)

        let last = try LayerTest.make(#"type: "InfogainLoss" infogain_loss_param { axis: -1 }"#)
        let q = NeuronTest.blob([2, 2], [0.3, 0.7, 0.9, 0.1]), z = NeuronTest.blob([2], [1, 0])
        let top2 = try LayerTest.setUp(last, bottom: [q, z, square])
        try last.forward(bottom: [q, z, square], top: top2)
        XCTAssertEqual(Double(top2[0].dataArray[0]), expected / 2, accuracy: 1e-5)
    }

    func testNormalizationAndIgnoreLabel() throws {
        // Four examples, the second and fourth ignored: the two terms of checkByHand count.
        func loss(_ text: String) throws -> Double {
            let layer = try LayerTest.make(#"type: "InfogainLoss" "# + text)
            let p = NeuronTest.blob([4, 3], Array(probabilities[0..<3]) + [0.1, 0.1, 0.8]
                                            + Array(probabilities[3..<6]) + [0.2, 0.5, 0.3])
            let bottom = [p, NeuronTest.blob([4], [1, 5, 0, 5]), NeuronTest.blob([3, 3], h)]
            let top = try LayerTest.setUp(layer, bottom: bottom)
            try layer.forward(bottom: bottom, top: top)
            return Double(top[0].dataArray[0])
        }
        let sum = term(probabilities[0..<3], row: 1) + term(probabilities[3..<6], row: 0)
        let ignore = "loss_param { ignore_label: 5 "
        XCTAssertEqual(try loss(ignore + "}"), sum / 4, accuracy: 1e-6)                       // default BATCH_SIZE
        XCTAssertEqual(try loss(ignore + "normalization: VALID }"), sum / 2, accuracy: 1e-6)
        XCTAssertEqual(try loss(ignore + "normalization: FULL }"), sum / 4, accuracy: 1e-6)
        XCTAssertEqual(try loss(ignore + "normalization: NONE }"), sum, accuracy: 1e-6)
        XCTAssertEqual(try loss(ignore + "normalize: true }"), sum / 2, accuracy: 1e-6)
    }

    /// −H log p curves strongly at small p: a step of 1e-3 keeps the checker's one-sided
    /// slopes close (at 1e-2 it takes the curvature for kinks).
    let checker = GradientChecker(stepsize: 1e-3)

    func testGradient() throws {
        let matrix = LayerTest.blob([4, 4], low: 0, high: 1, seed: 21)
        for text in ["", "loss_param { ignore_label: 9 normalization: VALID }"] {
            let layer = try LayerTest.make(#"type: "InfogainLoss" "# + text)
            let p = LayerTest.blob([3, 4], low: 0.4, high: 1, seed: 22), y = NeuronTest.blob([3], [3, 9, 1])
            if text.isEmpty { y.setData([3, 0, 1]) }
            let top = try LayerTest.setUp(layer, bottom: [p, y, matrix])
            try checker.check(layer, bottom: [p, y, matrix], top: top, bottomsToCheck: [0])
        }
        // Per position along axis 1 of 2 × 4 × 3.
        let layer = try LayerTest.make(#"type: "InfogainLoss""#)
        let p = LayerTest.blob([2, 4, 3], low: 0.4, high: 1, seed: 23), y = NeuronTest.blob([2, 3], [0, 3, 2, 1, 1, 0])
        let top = try LayerTest.setUp(layer, bottom: [p, y, matrix])
        try checker.check(layer, bottom: [p, y, matrix], top: top, bottomsToCheck: [0])
    }

    func testParameterAndShapeErrors() throws {
        let noSource = try LayerTest.make(#"type: "InfogainLoss""#)
        let e1 = TestSupport.error { _ = try LayerTest.setUp(noSource, bottom: [Blob(2, 3), Blob(2)]) }
        XCTAssertEqual(e1?.field, "infogain_loss_param.source")

        let missing = try LayerTest.make(#"type: "InfogainLoss" infogain_loss_param { source: "/nonexistent/h.binaryproto" }"#)
        let e2 = TestSupport.error { _ = try LayerTest.setUp(missing, bottom: [Blob(2, 3), Blob(2)]) }
        XCTAssertEqual(e2?.kind, .io)
        XCTAssertEqual(e2?.field, "infogain_loss_param.source")
        XCTAssertTrue(e2?.message.contains("does not exist") ?? false, "\(String(describing: e2))")
        // Built only for inspection, a missing matrix is a note, not an error.
        let inspected = try LayerTest.make(#"type: "InfogainLoss" infogain_loss_param { source: "/nonexistent/h.binaryproto" }"#)
        try inspected.setUp(bottom: [Blob(2, 3), Blob(2)], top: [Blob()], inspectOnly: true)
        XCTAssertTrue(inspected.notes.contains { $0.contains("/nonexistent/h.binaryproto") })

        let wrongSize = try writeMatrix([1, 0, 0, 1], classes: 2)
        let small = try LayerTest.make(#"type: "InfogainLoss" infogain_loss_param { source: ""# + wrongSize + #"" }"#)
        let e3 = TestSupport.error { _ = try LayerTest.setUp(small, bottom: [Blob(2, 3), Blob(2)]) }
        XCTAssertTrue(e3?.message.contains("3 classes need 3 × 3") ?? false, "\(String(describing: e3))")

        let layer = try LayerTest.make(#"type: "InfogainLoss" infogain_loss_param { axis: 2 }"#)
        let e4 = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2), Blob(3, 3)]) }
        XCTAssertEqual(e4?.field, "infogain_loss_param.axis")
        let plain = try LayerTest.make(#"type: "InfogainLoss""#)
        let e5 = TestSupport.error { _ = try LayerTest.setUp(plain, bottom: [Blob(2, 3), Blob(3), Blob(3, 3)]) }
        XCTAssertTrue(e5?.message.contains("one value per prediction") ?? false, "\(String(describing: e5))")
    }

    func testNoGradientToLabelsOrMatrix() throws {
        let layer = try LayerTest.make(#"type: "InfogainLoss""#)
        XCTAssertTrue(layer.isLossLayer)
        XCTAssertEqual((0..<3).map(layer.allowsForceBackward), [true, false, false])
        let bottom = [NeuronTest.blob([2, 3], probabilities), NeuronTest.blob([2], labels), NeuronTest.blob([3, 3], h)]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        try layer.forward(bottom: bottom, top: top)
        let e1 = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true, false], bottom: bottom) }
        XCTAssertTrue(e1?.message.contains("its label input (bottom 1)") ?? false, "\(String(describing: e1))")
        let e2 = TestSupport.error { try layer.backward(top: top, propagateDown: [true, false, true], bottom: bottom) }
        XCTAssertTrue(e2?.message.contains("its infogain matrix input (bottom 2)") ?? false, "\(String(describing: e2))")
        XCTAssertTrue(e2?.hint?.contains("propagate_down: true propagate_down: false propagate_down: false") ?? false)
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "InfogainLoss" loss_param { ignore_label: 1 }"#)
        let bottom = [NeuronTest.blob([2, 3], probabilities), NeuronTest.blob([2], labels), NeuronTest.blob([3, 3], h)]
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: try LayerTest.setUp(layer, bottom: bottom),
                                                  propagateDown: [true, false, false])
    }

    /// InnerProduct → Softmax → InfogainLoss with H from a file; zero weights give p = ⅓.
    func testInANetWithMatrixFile() throws {
        let path = try writeMatrix(h, classes: 3)
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" top: "label"
                    input_param { shape { dim: 2 dim: 2 } shape { dim: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "score"
                    inner_product_param { num_output: 3 weight_filler { type: "constant" value: 0 } } }
            layer { name: "prob" type: "Softmax" bottom: "score" top: "prob" }
            layer { name: "loss" type: "InfogainLoss" bottom: "prob" bottom: "label" top: "loss"
                    infogain_loss_param { source: "\(path)" } }
            """)
        let x: [Float] = [1, 2, 3, -1], y = [2, 1]
        try XCTUnwrap(net.blob(named: "x")).setData(x)
        try XCTUnwrap(net.blob(named: "label")).setData(y.map(Float.init))
        // −Σ_k H[l, k] log ⅓ per example: log 3 · (row sum of H[2] + row sum of H[1]) / 2.
        let rowSums = [1.5, 1.3, 2.0]
        XCTAssertEqual(Double(try net.forward()), log(3) * (rowSums[2] + rowSums[1]) / 2, accuracy: 1e-5)
        try net.backward()
        // ∂L/∂p_k = −3 H[l, k] / N; through the softmax at p = ⅓:
        // ∂L/∂score_j = −(H[l, j] − mean_k H[l, k]) / N; ∂W[j] = Σ_n ∂score_nj · x_n.
        var expected = [Float](repeating: 0, count: 6)
        for n in 0..<2 {
            for j in 0..<3 {
                let g = -(h[y[n] * 3 + j] - Float(rowSums[y[n]]) / 3) / 2
                for i in 0..<2 { expected[j * 2 + i] += g * x[n * 2 + i] }
            }
        }
        NeuronTest.assertClose(try XCTUnwrap(net.layer(named: "ip")).blobs[0].diffArray, expected,
                               accuracy: 1e-5, "weight diff")
    }
}
