import CaffeProto
import XCTest
@testable import SwiftCaffe

final class SoftmaxTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Softmax""#)
        let x = LayerTest.blob([2, 5, 3, 2])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
    }

    func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-6,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: accuracy, "element \(i): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    func testForwardAlongChannels() throws {
        let layer = try LayerTest.make(#"type: "Softmax""#)
        let x = Blob(2, 3)
        x.setData([1, 2, 3, 1000, 1000, 1000])
        let top = try LayerTest.setUp(layer, bottom: [x])
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top[0].shape, [2, 3])
        // e^(x − 3) / Σ: e^−2 = 0.13533528, e^−1 = 0.36787944, 1; Σ = 1.50321472.
        // A row of 1000s must not overflow: the max is subtracted first.
        assertClose(top[0].dataArray, [0.09003057, 0.24472847, 0.66524096, 1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    func testForwardWithSpatialPositions() throws {
        // 1 × 2 channels × 2 positions: position 0 has scores (0, ln 3) → (1/4, 3/4);
        // position 1 has (0, 0) → (1/2, 1/2). Layout: [c0p0, c0p1, c1p0, c1p1].
        let layer = try LayerTest.make(#"type: "Softmax""#)
        let x = Blob(1, 2, 2)
        x.setData([0, 0, Float(log(3.0)), 0])
        let top = try LayerTest.setUp(layer, bottom: [x])
        try layer.forward(bottom: [x], top: top)
        assertClose(top[0].dataArray, [0.25, 0.5, 0.75, 0.5])
    }

    func testForwardAlongLastAxis() throws {
        let layer = try LayerTest.make(#"type: "Softmax" softmax_param { axis: -1 }"#)
        let x = Blob(1, 2, 3)
        x.setData([3, 2, 1, 0, 0, 0])
        let top = try LayerTest.setUp(layer, bottom: [x])
        try layer.forward(bottom: [x], top: top)
        assertClose(top[0].dataArray, [0.66524096, 0.24472847, 0.09003057, 1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    func testBackwardByHand() throws {
        // y = (1/4, 3/4); dy = (1, 0): dot = 1/4; dx = (dy − dot)·y = (3/16, −3/16).
        let layer = try LayerTest.make(#"type: "Softmax""#)
        let x = Blob(1, 2)
        x.setData([0, Float(log(3.0))])
        let top = try LayerTest.setUp(layer, bottom: [x])
        try layer.forward(bottom: [x], top: top)
        top[0].setDiff([1, 0])
        try layer.backward(top: top, propagateDown: [true], bottom: [x])
        assertClose(x.diffArray, [0.1875, -0.1875])
    }

    func testGradientAlongAxis1() throws {
        let layer = try LayerTest.make(#"type: "Softmax""#)
        let x = LayerTest.blob([2, 5, 3, 2], low: -2, high: 2)
        let top = try LayerTest.setUp(layer, bottom: [x])
        try GradientChecker().check(layer, bottom: [x], top: top)
    }

    func testGradientAlongAxis2() throws {
        let layer = try LayerTest.make(#"type: "Softmax" softmax_param { axis: 2 }"#)
        let x = LayerTest.blob([3, 2, 5, 3], low: -2, high: 2, seed: 11)
        let top = try LayerTest.setUp(layer, bottom: [x])
        try GradientChecker().check(layer, bottom: [x], top: top)
    }

    func testInPlaceMatchesOutOfPlace() throws {
        let x = LayerTest.blob([2, 3, 2, 2], low: -3, high: 3)
        let y = LayerTest.blob([2, 3, 2, 2], low: -3, high: 3)
        let outOfPlace = try LayerTest.make(#"type: "Softmax""#)
        let top = try LayerTest.setUp(outOfPlace, bottom: [x])
        try outOfPlace.forward(bottom: [x], top: top)
        let inPlace = try LayerTest.make(#"type: "Softmax""#)
        try LayerTest.setUp(inPlace, bottom: [y], top: [y])
        try inPlace.forward(bottom: [y], top: [y])
        assertClose(y.dataArray, top[0].dataArray)
        let dy = LayerTest.blob([2, 3, 2, 2], seed: 3).dataArray
        top[0].setDiff(dy)
        y.setDiff(dy)
        try outOfPlace.backward(top: top, propagateDown: [true], bottom: [x])
        try inPlace.backward(top: [y], propagateDown: [true], bottom: [y])
        assertClose(y.diffArray, x.diffArray)
    }

    func testAxisOutOfRange() throws {
        let layer = try LayerTest.make(#"type: "Softmax" softmax_param { axis: 4 }"#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3)]) }
        XCTAssertEqual(e?.field, "softmax_param.axis")
    }
}
