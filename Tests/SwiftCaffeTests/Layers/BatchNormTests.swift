import CaffeProto
import XCTest
@testable import SwiftCaffe

final class BatchNormTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        for phase in [Caffe_Phase.train, .test] {
            let layer = try LayerTest.make(#"type: "BatchNorm""#, phase: phase)
            let x = LayerTest.blob([2, 3, 2, 2])
            try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
        }
    }

    func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: accuracy, "element \(i): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    /// 4 samples × 2 channels: channel 0 = 1, 2, 3, 4 (mean 2.5, variance 1.25);
    /// channel 1 = 0, 0, 2, 2 (mean 1, variance 1).
    func input() -> Blob {
        let x = Blob(4, 2)
        x.setData([1, 0, 2, 0, 3, 2, 4, 2])
        return x
    }

    func testTrainingForwardAndRunningAverages() throws {
        let layer = try LayerTest.make(#"type: "BatchNorm""#, phase: .train)
        let x = input()
        let top = try LayerTest.setUp(layer, bottom: [x])
        XCTAssertEqual(layer.blobs.map(\.shape), [[2], [2], [1]])
        try layer.forward(bottom: [x], top: top)
        // (x − μ) / √(σ² + 1e-5): ±1.5/√1.25001 = ±1.3416355, ±0.5/√1.25001 = ±0.4472118, ±1/√1.00001
        assertClose(top[0].dataArray, [-1.3416355, -0.999995, -0.4472118, -0.999995,
                                       0.4472118, 0.999995, 1.3416355, 0.999995])
        // s = 0·0.999 + 1; Σμ = μ; Σσ² = σ² · m/(m−1) with m = 4.
        assertClose(layer.blobs[0].dataArray, [2.5, 1])
        assertClose(layer.blobs[1].dataArray, [1.6666666, 1.3333334])
        XCTAssertEqual(layer.blobs[2].dataArray, [1])
        try layer.forward(bottom: [x], top: top)
        assertClose(layer.blobs[2].dataArray, [1.999])
        assertClose(layer.blobs[0].dataArray, [2.5 * 1.999, 1.999])
        assertClose(layer.blobs[1].dataArray, [1.6666666 * 1.999, 1.3333334 * 1.999])
    }

    func testGlobalStatsForward() throws {
        let layer = try LayerTest.make(#"type: "BatchNorm""#, phase: .test)
        XCTAssertTrue((layer as? BatchNormLayer)?.useGlobalStats ?? false)
        let x = input()
        let top = try LayerTest.setUp(layer, bottom: [x])
        layer.blobs[0].setData([2, 0])
        layer.blobs[1].setData([4, 1])
        layer.blobs[2].setData([2])
        try layer.forward(bottom: [x], top: top)
        // μ = (1, 0), σ² = (2, 0.5)
        assertClose(top[0].dataArray, [0, 0, 0.70710498, 0, 1.41420996, 2.8283987, 2.1213150, 2.8283987])
        XCTAssertEqual(layer.blobs[2].dataArray, [2], "global stats are not updated")

        // A zero scale factor means zero mean and variance: y = x / √eps.
        layer.blobs[2].setData([0])
        try layer.forward(bottom: [x], top: top)
        assertClose(top[0].dataArray, x.dataArray.map { $0 / Float(1e-5).squareRoot() }, accuracy: 1e-2)
    }

    func testUseGlobalStatsOverridesPhase() throws {
        let train = try LayerTest.make(#"type: "BatchNorm" batch_norm_param { use_global_stats: true }"#, phase: .train)
        XCTAssertTrue((train as? BatchNormLayer)?.useGlobalStats ?? false)
        let test = try LayerTest.make(#"type: "BatchNorm" batch_norm_param { use_global_stats: false }"#, phase: .test)
        XCTAssertFalse((test as? BatchNormLayer)?.useGlobalStats ?? true)
        // Statistics are masked from the solver as in Caffe: three lr_mult 0 specs.
        XCTAssertEqual(train.param.param.map(\.lrMult), [0, 0, 0])
    }

    func testGradientTraining() throws {
        for shape in [[5, 3], [3, 2, 2, 3]] {
            let layer = try LayerTest.make(#"type: "BatchNorm""#, phase: .train)
            let x = LayerTest.blob(shape, low: -2, high: 2, seed: 4)
            let top = try LayerTest.setUp(layer, bottom: [x])
            try GradientChecker().check(layer, bottom: [x], top: top, checkParameters: false)
        }
    }

    func testGradientGlobal() throws {
        let layer = try LayerTest.make(#"type: "BatchNorm""#, phase: .test)
        let x = LayerTest.blob([3, 2, 1, 3], low: -2, high: 2)
        let top = try LayerTest.setUp(layer, bottom: [x])
        layer.blobs[0].setData([0.5, -1])
        layer.blobs[1].setData([2, 0.7])
        layer.blobs[2].setData([1.5])
        try GradientChecker().check(layer, bottom: [x], top: top, checkParameters: false)
    }

    func testInPlaceMatchesOutOfPlaceEvenIfTheTopIsOverwritten() throws {
        let dy = LayerTest.blob([3, 2, 2, 2], seed: 21).dataArray
        let x = LayerTest.blob([3, 2, 2, 2], low: -2, high: 2)
        let outOfPlace = try LayerTest.make(#"type: "BatchNorm""#)
        let top = try LayerTest.setUp(outOfPlace, bottom: [x])
        try outOfPlace.forward(bottom: [x], top: top)
        top[0].setDiff(dy)
        try outOfPlace.backward(top: top, propagateDown: [true], bottom: [x])

        let y = LayerTest.blob([3, 2, 2, 2], low: -2, high: 2)
        let inPlace = try LayerTest.make(#"type: "BatchNorm""#)
        try LayerTest.setUp(inPlace, bottom: [y], top: [y])
        try inPlace.forward(bottom: [y], top: [y])
        for (a, b) in zip(y.dataArray, top[0].dataArray) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        y.fillData(123)  // e.g. a Scale layer working in place afterwards
        y.setDiff(dy)
        try inPlace.backward(top: [y], propagateDown: [true], bottom: [y])
        for (a, b) in zip(y.diffArray, x.diffArray) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// BatchNorm then Scale with bias, both in place, inside a net: runs forward and backward
    /// and the bottom gradient equals the layer-by-layer composition.
    func testInPlaceBatchNormAndScaleInANet() throws {
        let net = try TestSupport.buildNet("""
            force_backward: true
            layer { name: "in" type: "Input" top: "x" top: "label"
                    input_param { shape { dim: 4 dim: 3 } shape { dim: 4 } } }
            layer { name: "bn" type: "BatchNorm" bottom: "x" top: "x" }
            layer { name: "sc" type: "Scale" bottom: "x" top: "x"
                    scale_param { bias_term: true filler { type: "uniform" min: 0.5 max: 2 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "x" bottom: "label" top: "loss" }
            """, options: { var o = NetBuildOptions(); o.phase = .train; return o }())
        let x = try XCTUnwrap(net.blob(named: "x")), label = try XCTUnwrap(net.blob(named: "label"))
        let input = LayerTest.blob([4, 3], low: -2, high: 2).dataArray
        x.setData(input)
        label.setData([0, 2, 1, 2])
        try net.forward()
        let loss = try XCTUnwrap(net.blob(named: "loss")).dataArray[0]
        try net.backward()
        XCTAssertGreaterThan(loss, 0)

        // The same computation with separate blobs.
        let bn = try LayerTest.make(#"type: "BatchNorm""#)
        let a = Blob(4, 3)
        a.setData(input)
        let b = try LayerTest.setUp(bn, bottom: [a])
        let sc = try LayerTest.make(#"type: "Scale" scale_param { bias_term: true }"#)
        let c = try LayerTest.setUp(sc, bottom: b)
        let scale = try XCTUnwrap(net.layer(named: "sc"))
        for k in 0..<2 { sc.blobs[k].setData(scale.blobs[k].dataArray) }
        let sm = try LayerTest.make(#"type: "SoftmaxWithLoss""#)
        let l = Blob(4)
        l.setData([0, 2, 1, 2])
        let d = try LayerTest.setUp(sm, bottom: [c[0], l])
        try bn.forward(bottom: [a], top: b)
        try sc.forward(bottom: b, top: c)
        try sm.forward(bottom: [c[0], l], top: d)
        XCTAssertEqual(d[0].dataArray[0], loss, accuracy: 1e-6)
        d[0].setDiff([1])
        try sm.backward(top: d, propagateDown: [true, false], bottom: [c[0], l])
        try sc.backward(top: c, propagateDown: [true], bottom: b)
        try bn.backward(top: b, propagateDown: [true], bottom: [a])
        for (p, q) in zip(x.diffArray, a.diffArray) { XCTAssertEqual(p, q, accuracy: 1e-6) }
        for k in 0..<2 {
            for (p, q) in zip(scale.blobs[k].diffArray, sc.blobs[k].diffArray) { XCTAssertEqual(p, q, accuracy: 1e-6) }
        }
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "BatchNorm""#)
        let oneAxis = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(6)]) }
        XCTAssertTrue(oneAxis?.message.contains("at least 2 axes") ?? false)

        let x = Blob(2, 3, 2, 2)
        let top = try LayerTest.setUp(layer, bottom: [x])
        let channels = TestSupport.error { try layer.reshape(bottom: [Blob(2, 4, 2, 2)], top: top) }
        XCTAssertTrue(channels?.message.contains("4 channels") ?? false)

        let learned = TestSupport.error { _ = try LayerTest.make(#"type: "BatchNorm" param { lr_mult: 1 }"#) }
        XCTAssertEqual(learned?.field, "param")
        XCTAssertNoThrow(try LayerTest.make(#"type: "BatchNorm" param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 }"#))
    }
}
