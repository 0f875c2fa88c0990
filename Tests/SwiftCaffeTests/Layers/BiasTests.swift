import CaffeProto
import XCTest
@testable import SwiftCaffe

final class BiasTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Bias""#)
        let x = LayerTest.blob([2, 3, 2])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
    }

    func testLearnedBiasByHand() throws {
        let layer = try LayerTest.make(#"type: "Bias" bias_param { filler { type: "constant" value: 3 } }"#)
        let x = Blob(2, 2, 2)
        x.setData([1, 2, 3, 4, 5, 6, 7, 8])
        let top = try LayerTest.setUp(layer, bottom: [x])
        XCTAssertEqual(layer.blobs.map(\.shape), [[2]])
        XCTAssertEqual(layer.blobs[0].dataArray, [3, 3])
        layer.blobs[0].setData([0.5, -1])
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top[0].dataArray, [1.5, 2.5, 2, 3, 5.5, 6.5, 6, 7])
        top[0].setDiff([1, 2, 3, 4, 5, 6, 7, 8])
        layer.blobs[0].setDiff([100, 100])
        try layer.backward(top: top, propagateDown: [true], bottom: [x])
        XCTAssertEqual(x.diffArray, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(layer.blobs[0].diffArray, [114, 122])  // 100 + (1+2+5+6), 100 + (3+4+7+8)
    }

    func testBiasFromSecondBottomAndInPlace() throws {
        let layer = try LayerTest.make(#"type: "Bias" bias_param { axis: -1 }"#)
        let x = Blob(2, 3), b = Blob(3)
        x.setData([1, 2, 3, 4, 5, 6])
        b.setData([10, 20, 30])
        try LayerTest.setUp(layer, bottom: [x, b], top: [x])
        XCTAssertTrue(layer.blobs.isEmpty)
        try layer.forward(bottom: [x, b], top: [x])
        XCTAssertEqual(x.dataArray, [11, 22, 33, 14, 25, 36])
        x.setDiff([1, 2, 3, 4, 5, 6])
        b.fillDiff(99)
        try layer.backward(top: [x], propagateDown: [true, true], bottom: [x, b])
        XCTAssertEqual(x.diffArray, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(b.diffArray, [5, 7, 9])
    }

    func testGradients() throws {
        for text in ["", "bias_param { num_axes: 2 }", "bias_param { axis: 0 num_axes: -1 }", "bias_param { num_axes: 0 }",
                     #"bias_param { filler { type: "gaussian" } }"#] {
            let layer = try LayerTest.make(#"type: "Bias" "# + text)
            let x = LayerTest.blob([2, 3, 2, 3])
            let top = try LayerTest.setUp(layer, bottom: [x])
            try GradientChecker().check(layer, bottom: [x], top: top)
        }
        for shape in [[3], [2, 3, 2], []] {
            let layer = try LayerTest.make(#"type: "Bias" "# + (shape.count == 3 ? "bias_param { axis: 0 }" : ""))
            let x = LayerTest.blob([2, 3, 2, 3]), b = LayerTest.blob(shape, seed: 3)
            let top = try LayerTest.setUp(layer, bottom: [x, b])
            try GradientChecker().check(layer, bottom: [x, b], top: top)
        }
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(#"type: "Bias" bias_param { num_axes: -3 }"#) }?.field,
                       "bias_param.num_axes")
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Bias" bias_param { filler { type: "zero" } }"#)
        }?.field, "bias_param.filler.type")
        let layer = try LayerTest.make(#"type: "Bias""#)
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2)]) })
        let axis = try LayerTest.make(#"type: "Bias" bias_param { axis: 5 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(axis, bottom: [Blob(2, 3)]) }?.field, "bias_param.axis")
    }
}
