import CaffeProto
import Foundation
import MallocCounter
import XCTest
@testable import SwiftCaffe

final class SoftmaxWithLossTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        for tops in 1...2 {
            let layer = try LayerTest.make(#"type: "SoftmaxWithLoss" loss_param { ignore_label: 1 }"#)
            let scores = LayerTest.blob([3, 4, 2]), labels = Blob(3, 2)
            labels.setData([0, 1, 2, 3, 1, 0])
            let top = try LayerTest.setUp(layer, bottom: [scores, labels], tops: tops)
            try StructureFixtures.assertNoAllocations(layer, bottom: [scores, labels], top: top,
                                                      propagateDown: [true, false])
        }
    }

    /// N=2 × C=3 × 2 positions; labels (2, 1 | 0, 255).
    /// Probabilities (numpy): position (0,0): (0.0900, 0.2447, 0.6652) → −log = 0.40760596;
    /// (0,1): (0.2447, 0.6652, 0.0900) → 0.40760596; (1,0): 1/3 each → 1.09861229.
    func spatialBlobs() -> (Blob, Blob) {
        let scores = Blob(2, 3, 2)
        scores.setData([1, 0, 2, 1, 3, -1, 0, 2, 0, 2, 0, 0.5])
        let labels = Blob(2, 2)
        labels.setData([2, 1, 0, 255])
        return (scores, labels)
    }

    func loss(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss" "# + text)
        let (scores, labels) = spatialBlobs()
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try layer.forward(bottom: [scores, labels], top: top)
        XCTAssertEqual(top[0].shape, [], file: file, line: line)
        return top[0].dataArray[0]
    }

    func testForwardByHand() throws {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss""#)
        let scores = Blob(2, 3), labels = Blob(2)
        scores.setData([1, 2, 3, 0, 0, 0])
        labels.setData([2, 0])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels], tops: 2)
        try layer.forward(bottom: [scores, labels], top: top)
        // (−log 0.66524096 − log 1/3) / 2 = (0.40760596 + 1.09861229) / 2
        XCTAssertEqual(top[0].dataArray[0], 0.75310913, accuracy: 1e-6)
        XCTAssertEqual(top[1].shape, [2, 3])
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096, 1.0 / 3, 1.0 / 3, 1.0 / 3]
        for (a, e) in zip(top[1].dataArray, expected) { XCTAssertEqual(a, e, accuracy: 1e-6) }

        // Backward with loss weight 2: (p − onehot) · 2 / 2.
        top[0].setDiff([2])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [scores, labels])
        let grad: [Float] = [0.09003057, 0.24472847, -0.33475904, -2.0 / 3, 1.0 / 3, 1.0 / 3]
        for (a, e) in zip(scores.diffArray, grad) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    func testNormalizationModes() throws {
        let ignore = "loss_param { ignore_label: 255 "
        // Sum of the three valid losses: 1.91382422.
        XCTAssertEqual(try loss(ignore + "}"), 0.63794141, accuracy: 1e-6)                            // VALID: /3
        XCTAssertEqual(try loss(ignore + "normalization: VALID }"), 0.63794141, accuracy: 1e-6)
        XCTAssertEqual(try loss(ignore + "normalization: BATCH_SIZE }"), 0.95691211, accuracy: 1e-6)  // /2
        XCTAssertEqual(try loss(ignore + "normalization: FULL }"), 0.47845605, accuracy: 1e-6)        // /4
        XCTAssertEqual(try loss(ignore + "normalization: NONE }"), 1.91382422, accuracy: 1e-6)        // /1
        // Legacy normalize: false means BATCH_SIZE, normalize: true VALID; normalization wins.
        XCTAssertEqual(try loss(ignore + "normalize: false }"), 0.95691211, accuracy: 1e-6)
        XCTAssertEqual(try loss(ignore + "normalize: true }"), 0.63794141, accuracy: 1e-6)
        XCTAssertEqual(try loss(ignore + "normalize: false normalization: NONE }"), 1.91382422, accuracy: 1e-6)
    }

    func testAllIgnoredGivesZeroNotNaN() throws {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss" loss_param { ignore_label: -1 }"#)
        let scores = LayerTest.blob([2, 3]), labels = Blob(2)
        labels.setData([-1, -1])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try layer.forward(bottom: [scores, labels], top: top)
        XCTAssertEqual(top[0].dataArray[0], 0)  // normalizer max(1, 0) = 1
        top[0].setDiff([1])
        try layer.backward(top: top, propagateDown: [true, false], bottom: [scores, labels])
        XCTAssertEqual(scores.diffArray, [0, 0, 0, 0, 0, 0])
    }

    func gradientCheck(_ text: String, shape: [Int] = [3, 4, 2, 3], file: StaticString = #filePath,
                       line: UInt = #line) throws {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss" "# + text)
        let scores = LayerTest.blob(shape, low: -2, high: 2, seed: 5)
        let positions = shape[0] * shape.dropFirst(2).reduce(1, *)
        let labels = try Blob(shape: [shape[0]] + shape.dropFirst(2))
        let random = RandomSource(seed: 9)
        for i in 0..<positions { labels.data[i] = Float(random.nextInt(below: shape[1])) }
        labels.data[1] = 255
        labels.data[positions - 1] = 255
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try GradientChecker().check(layer, bottom: [scores, labels], top: top, bottomsToCheck: [0],
                                    file: file, line: line)
    }

    func testGradientWithIgnoreLabelEachNormalization() throws {
        for mode in ["VALID", "BATCH_SIZE", "FULL", "NONE"] {
            try gradientCheck("loss_param { ignore_label: 255 normalization: \(mode) }")
        }
    }

    func testGradientPlainAndAlongAxis2() throws {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss""#)
        let scores = LayerTest.blob([5, 3], low: -2, high: 2)
        let labels = Blob(5)
        labels.setData([0, 2, 1, 1, 0])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try GradientChecker().check(layer, bottom: [scores, labels], top: top, bottomsToCheck: [0])

        // Classes on axis 2 of 2 × 3 × 4: labels 2 × 3.
        let axis2 = try LayerTest.make(#"type: "SoftmaxWithLoss" softmax_param { axis: 2 }"#)
        let s2 = LayerTest.blob([2, 3, 4], low: -2, high: 2, seed: 3)
        let l2 = Blob(2, 3)
        l2.setData([0, 3, 1, 2, 2, 0])
        let top2 = try LayerTest.setUp(axis2, bottom: [s2, l2])
        try GradientChecker().check(axis2, bottom: [s2, l2], top: top2, bottomsToCheck: [0])
    }

    func testLabelOutOfRangeIsAnError() throws {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss""#)
        let scores = LayerTest.blob([3, 4]), labels = Blob(3)
        labels.setData([1, 7, 0])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        let e = TestSupport.error { try layer.forward(bottom: [scores, labels], top: top) }
        XCTAssertTrue(e?.message.contains("label 7.0 at index 1") ?? false, "\(String(describing: e))")
        XCTAssertTrue(e?.message.contains("0..<4") ?? false)
        for bad: Float in [-1, .nan, 1e20] {
            labels.setData([0, 0, bad])
            let e = TestSupport.error { try layer.forward(bottom: [scores, labels], top: top) }
            XCTAssertTrue(e?.message.contains("at index 2") ?? false, "\(String(describing: e))")
        }
    }

    func testLabelCountMismatchAndNoLabelGradient() throws {
        let layer = try LayerTest.make(#"type: "SoftmaxWithLoss""#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(3, 4), Blob(4)]) }
        XCTAssertTrue(e?.message.contains("one value per prediction") ?? false)

        let scores = LayerTest.blob([2, 3]), labels = Blob(2)
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try layer.forward(bottom: [scores, labels], top: top)
        XCTAssertNotNil(TestSupport.error {
            try layer.backward(top: top, propagateDown: [true, true], bottom: [scores, labels])
        })
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 1))
        XCTAssertTrue(layer.isLossLayer)
    }
}

/// SoftmaxWithLoss and Accuracy against the numbers the real Caffe computed (ip_softmax).
final class SoftmaxWithLossCaffeFixtureTests: XCTestCase {
    func testLossAccuracyAndGradientMatchCaffe() throws {
        let blobs = try StructureFixtures.blobs("ip_softmax")
        let scores = try StructureFixtures.blob(XCTUnwrap(blobs["ip2"]))
        let labels = try StructureFixtures.blob(XCTUnwrap(blobs["label"]))
        XCTAssertEqual(scores.shape, [8, 5])

        let loss = try StructureFixtures.layer("ip_softmax", named: "loss")
        let lossTop = try LayerTest.setUp(loss, bottom: [scores, labels])
        try loss.forward(bottom: [scores, labels], top: lossTop)
        let caffeLoss = try XCTUnwrap(blobs["loss"]).data[0]
        XCTAssertEqual(caffeLoss, 1.78384721, accuracy: 1e-6)
        StructureFixtures.assertClose([lossTop[0].dataArray[0]], [caffeLoss], relative: 1e-5)

        lossTop[0].setDiff([1])
        try loss.backward(top: lossTop, propagateDown: [true, false], bottom: [scores, labels])
        let caffeDiff = try XCTUnwrap(blobs["ip2_ip2_0_split_0"]).diff
        StructureFixtures.assertClose(scores.diffArray, caffeDiff, relative: 1e-4)

        let accuracy = try StructureFixtures.layer("ip_softmax", named: "accuracy")
        XCTAssertEqual((accuracy as? AccuracyLayer)?.topK, 2)
        let accuracyTop = try LayerTest.setUp(accuracy, bottom: [scores, labels])
        try accuracy.forward(bottom: [scores, labels], top: accuracyTop)
        let caffeAccuracy = try XCTUnwrap(blobs["accuracy"]).data[0]
        XCTAssertEqual(caffeAccuracy, 0.25)
        StructureFixtures.assertClose([accuracyTop[0].dataArray[0]], [caffeAccuracy], relative: 1e-5)
    }
}
