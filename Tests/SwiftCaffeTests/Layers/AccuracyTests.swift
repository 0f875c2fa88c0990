import CaffeProto
import XCTest
@testable import SwiftCaffe

final class AccuracyTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Accuracy" accuracy_param { top_k: 2 }"#)
        let scores = LayerTest.blob([3, 4]), labels = Blob(3)
        labels.setData([0, 3, 2])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels], tops: 2)
        try StructureFixtures.assertNoAllocations(layer, bottom: [scores, labels], top: top,
                                                  propagateDown: [false, false])
    }

    /// Rows (N = 4, C = 3) and labels:
    ///   (0.1, 0.5, 0.4) label 1 — best score: right at top 1.
    ///   (1, 2, 2)       label 1 — tied with class 2: Caffe counts the tie against the label
    ///                             (wrong at top 1, right at top 2).
    ///   (3, 1, 2)       label 1 — the lowest: wrong at top 1 and 2.
    ///   (0, 0, 0)       label 2 — three-way tie: wrong at top 1 and 2.
    func run(_ text: String, tops: Int = 1) throws -> [Blob] {
        let layer = try LayerTest.make(#"type: "Accuracy" "# + text)
        let scores = Blob(4, 3), labels = Blob(4)
        scores.setData([0.1, 0.5, 0.4, 1, 2, 2, 3, 1, 2, 0, 0, 0])
        labels.setData([1, 1, 1, 2])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels], tops: tops)
        try layer.forward(bottom: [scores, labels], top: top)
        XCTAssertEqual(top[0].shape, [])
        return top
    }

    func testTopOneAndTopTwoWithTies() throws {
        XCTAssertEqual(try run("")[0].dataArray[0], 0.25)
        XCTAssertEqual(try run("accuracy_param { top_k: 2 }")[0].dataArray[0], 0.5)
        XCTAssertEqual(try run("accuracy_param { top_k: 3 }")[0].dataArray[0], 1)
    }

    func testIgnoreLabel() throws {
        XCTAssertEqual(try run("accuracy_param { ignore_label: 2 }")[0].dataArray[0], 1.0 / 3)
        XCTAssertEqual(try run("accuracy_param { top_k: 2 ignore_label: 2 }")[0].dataArray[0], 2.0 / 3)
        // Everything ignored: 0, not NaN.
        XCTAssertEqual(try run("accuracy_param { ignore_label: 1 }")[0].dataArray[0], 0)
    }

    func testPerClassAccuracy() throws {
        let top1 = try run("", tops: 2)
        XCTAssertEqual(top1[1].shape, [3])
        // class 0: no labels → 0; class 1: 1 of 3; class 2: 0 of 1.
        XCTAssertEqual(top1[1].dataArray, [0, 1.0 / 3, 0])
        let top2 = try run("accuracy_param { top_k: 2 ignore_label: 2 }", tops: 2)
        XCTAssertEqual(top2[0].dataArray[0], 2.0 / 3)
        XCTAssertEqual(top2[1].dataArray, [0, 2.0 / 3, 0])
    }

    func testSpatialPositions() throws {
        // 1 × 2 classes × 2 positions: position 0 scores (1, 0), position 1 scores (0, 1).
        let layer = try LayerTest.make(#"type: "Accuracy""#)
        let scores = Blob(1, 2, 2), labels = Blob(1, 2)
        scores.setData([1, 0, 0, 1])
        labels.setData([0, 0])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try layer.forward(bottom: [scores, labels], top: top)
        XCTAssertEqual(top[0].dataArray[0], 0.5)
    }

    func testBackwardIsANoOpUnlessAsked() throws {
        let layer = try LayerTest.make(#"type: "Accuracy""#)
        let scores = LayerTest.blob([2, 3]), labels = Blob(2)
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        try layer.forward(bottom: [scores, labels], top: top)
        try layer.backward(top: top, propagateDown: [false, false], bottom: [scores, labels])
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, false], bottom: [scores, labels]) }
        XCTAssertTrue(e?.message.contains("Accuracy has no backward pass") ?? false)
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertFalse(layer.isLossLayer)
    }

    func testErrors() throws {
        let zero = TestSupport.error { _ = try LayerTest.make(#"type: "Accuracy" accuracy_param { top_k: 0 }"#) }
        XCTAssertEqual(zero?.field, "accuracy_param.top_k")

        let tooMany = try LayerTest.make(#"type: "Accuracy" accuracy_param { top_k: 4 }"#)
        let e = TestSupport.error { _ = try LayerTest.setUp(tooMany, bottom: [Blob(2, 3), Blob(2)]) }
        XCTAssertEqual(e?.field, "accuracy_param.top_k")

        let layer = try LayerTest.make(#"type: "Accuracy""#)
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(3)]) })

        let scores = LayerTest.blob([2, 3]), labels = Blob(2)
        labels.setData([0, 3])
        let top = try LayerTest.setUp(layer, bottom: [scores, labels])
        let bad = TestSupport.error { try layer.forward(bottom: [scores, labels], top: top) }
        XCTAssertTrue(bad?.message.contains("label 3.0 at index 1") ?? false, "\(String(describing: bad))")
    }
}
