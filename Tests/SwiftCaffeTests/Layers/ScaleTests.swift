import CaffeProto
import XCTest
@testable import SwiftCaffe

final class ScaleTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Scale" scale_param { bias_term: true }"#)
        let x = LayerTest.blob([2, 3, 2])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
        let two = try LayerTest.make(#"type: "Scale""#)
        let s = LayerTest.blob([3])
        try StructureFixtures.assertNoAllocations(two, bottom: [x, s], top: try LayerTest.setUp(two, bottom: [x, s]))
    }

    func testLearnedScaleAndBiasByHand() throws {
        let layer = try LayerTest.make(#"type: "Scale" scale_param { bias_term: true }"#)
        let x = Blob(2, 2, 2)
        x.setData([1, 2, 3, 4, 5, 6, 7, 8])
        let top = try LayerTest.setUp(layer, bottom: [x])
        XCTAssertEqual(layer.blobs.map(\.shape), [[2], [2]])
        XCTAssertEqual(layer.blobs[0].dataArray, [1, 1], "default scale filler: constant 1")
        XCTAssertEqual(layer.blobs[1].dataArray, [0, 0], "default bias filler: constant 0")
        layer.blobs[0].setData([2, -1])
        layer.blobs[1].setData([0.5, 1])
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top[0].dataArray, [2.5, 4.5, -2, -3, 10.5, 12.5, -6, -7])

        top[0].setDiff([1, 1, 1, 1, 1, 1, 1, 2])
        layer.blobs[0].setDiff([10, 10])   // parameter gradients accumulate
        try layer.backward(top: top, propagateDown: [true], bottom: [x])
        XCTAssertEqual(x.diffArray, [2, 2, -1, -1, 2, 2, -1, -2])
        // scale: Σ dy·x per channel = 1+2+5+6 = 14, 3+4+7+16 = 30
        XCTAssertEqual(layer.blobs[0].diffArray, [24, 40])
        XCTAssertEqual(layer.blobs[1].diffArray, [4, 5])
    }

    func testScaleFromSecondBottom() throws {
        let layer = try LayerTest.make(#"type: "Scale" scale_param { axis: 0 }"#)
        let x = Blob(2, 3), s = Blob(2, 3)
        x.setData([1, 2, 3, 4, 5, 6])
        s.setData([2, 2, 2, -1, 0, 1])
        let top = try LayerTest.setUp(layer, bottom: [x, s])
        XCTAssertTrue(layer.blobs.isEmpty)
        try layer.forward(bottom: [x, s], top: top)
        XCTAssertEqual(top[0].dataArray, [2, 4, 6, -4, 0, 6])
        top[0].setDiff([1, 1, 1, 1, 1, 1])
        s.fillDiff(99)   // bottom gradients are overwritten
        try layer.backward(top: top, propagateDown: [true, true], bottom: [x, s])
        XCTAssertEqual(x.diffArray, [2, 2, 2, -1, 0, 1])
        XCTAssertEqual(s.diffArray, [1, 2, 3, 4, 5, 6])

        // A scalar second bottom scales everything.
        let scalar = try LayerTest.make(#"type: "Scale""#)
        let k = try Blob(shape: [])
        k.setData([3])
        let t = try LayerTest.setUp(scalar, bottom: [x, k])
        try scalar.forward(bottom: [x, k], top: t)
        XCTAssertEqual(t[0].dataArray, [3, 6, 9, 12, 15, 18])
    }

    func testGradientLearnedScale() throws {
        for text in ["", "scale_param { bias_term: true }", "scale_param { axis: 1 num_axes: 2 bias_term: true }",
                     "scale_param { num_axes: -1 }", "scale_param { num_axes: 0 bias_term: true }",
                     #"scale_param { filler { type: "uniform" min: -2 max: 2 } bias_term: true bias_filler { type: "gaussian" } }"#] {
            let layer = try LayerTest.make(#"type: "Scale" "# + text)
            let x = LayerTest.blob([2, 3, 2, 3])
            let top = try LayerTest.setUp(layer, bottom: [x])
            try GradientChecker().check(layer, bottom: [x], top: top)
        }
    }

    func testGradientScaleFromSecondBottom() throws {
        for (text, shape) in [("", [3]), ("scale_param { bias_term: true }", [3, 2]),
                              ("scale_param { axis: 0 }", [2, 3, 2, 3]), ("", [])] {
            let layer = try LayerTest.make(#"type: "Scale" "# + text)
            let x = LayerTest.blob([2, 3, 2, 3]), s = LayerTest.blob(shape, seed: 5)
            let top = try LayerTest.setUp(layer, bottom: [x, s])
            try GradientChecker().check(layer, bottom: [x, s], top: top)
        }
    }

    func testInPlace() throws {
        let x = LayerTest.blob([2, 3, 2]), y = LayerTest.blob([2, 3, 2])
        let dy = LayerTest.blob([2, 3, 2], seed: 3).dataArray
        var layers: [Layer] = []
        for _ in 0..<2 {
            let layer = try LayerTest.make(#"type: "Scale" scale_param { bias_term: true filler { type: "uniform" } }"#)
            layer.random = RandomSource(seed: 4)
            layers.append(layer)
        }
        let top = try LayerTest.setUp(layers[0], bottom: [x])
        try layers[0].forward(bottom: [x], top: top)
        top[0].setDiff(dy)
        try layers[0].backward(top: top, propagateDown: [true], bottom: [x])

        try LayerTest.setUp(layers[1], bottom: [y], top: [y])
        XCTAssertEqual(layers[1].paramPropagateDown, [true, true])
        XCTAssertEqual(layers[1].blobs[0].dataArray, layers[0].blobs[0].dataArray)
        try layers[1].forward(bottom: [y], top: [y])
        XCTAssertEqual(y.dataArray, top[0].dataArray)
        y.setDiff(dy)
        try layers[1].backward(top: [y], propagateDown: [true], bottom: [y])
        XCTAssertEqual(y.diffArray, x.diffArray)
        for k in 0..<2 { XCTAssertEqual(layers[1].blobs[k].diffArray, layers[0].blobs[k].diffArray) }
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(#"type: "Scale" scale_param { num_axes: -2 }"#) }?.field,
                       "scale_param.num_axes")
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Scale" scale_param { filler { type: "gaussain" } }"#)
        }?.field, "scale_param.filler.type")
        let layer = try LayerTest.make(#"type: "Scale""#)
        let mismatch = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3, 4), Blob(4)]) }
        XCTAssertTrue(mismatch?.message.contains("mismatch") ?? false, "\(String(describing: mismatch))")
        let past = try LayerTest.make(#"type: "Scale" scale_param { axis: 1 num_axes: 3 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(past, bottom: [Blob(2, 3, 4)]) }?.field,
                       "scale_param.num_axes")
    }
}
