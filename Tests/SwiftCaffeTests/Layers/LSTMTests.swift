import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class LSTMTests: XCTestCase {
    /// An LSTM of `hidden` cells with uniform fillers.
    func makeLSTM(hidden: Int = 3, options: String = "") throws -> Layer {
        try RecurrentLayerTest.make(.lstm, hidden: hidden, options: options)
    }

    /// cont for T × N: 0 at t = 0 and where `starts` says, 1 elsewhere.
    func cont(_ t: Int, _ n: Int, starts: Set<Int> = []) -> Blob { RecurrentLayerTest.cont(t, n, starts: starts) }

    func testParametersInCaffesOrderAndShapes() throws {
        let plain = try makeLSTM(hidden: 2)
        let top = try LayerTest.setUp(plain, bottom: [Blob(5, 3, 3), cont(5, 3)])
        XCTAssertEqual(plain.blobs.map(\.shape), [[8, 3], [8], [8, 2]], "W_xc, b_c, W_hc")
        XCTAssertEqual(top[0].shape, [5, 3, 2])

        // x may have trailing axes (flattened: D = 2·2), a static input N × 5, exposed state.
        let full = try makeLSTM(hidden: 2, options: "expose_hidden: true")
        let tops = try LayerTest.setUp(full, bottom: [Blob(5, 3, 2, 2), cont(5, 3), Blob(3, 5), Blob(1, 3, 2), Blob(1, 3, 2)],
                                       tops: 3)
        XCTAssertEqual(full.blobs.map(\.shape), [[8, 4], [8], [8, 5], [8, 2]], "W_xc, b_c, W_xc_static, W_hc")
        XCTAssertEqual(tops.map(\.shape), [[5, 3, 2], [1, 3, 2], [1, 3, 2]])
        XCTAssertEqual(full.multiplyAdds(bottom: [], top: []), 5 * 3 * 8 * (4 + 2) + 3 * 8 * 5)
    }

    /// T = 2, N = 1, one cell; W_xc gives i = 0.75, f = 0.25, o = 0.5, g = 0.5 for x = 1, W_hc = 0.
    func testHandComputedSteps() throws {
        let layer = try makeLSTM(hidden: 1)
        let bottom = [NeuronTest.blob([2, 1, 1], [1, 1]), NeuronTest.blob([2, 1], [0, 1])]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        layer.blobs[0].setData([Float(log(3.0)), Float(-log(3.0)), 0, Float(atanh(0.5))])
        layer.blobs[1].setData([0, 0, 0, 0])
        layer.blobs[2].setData([0, 0, 0, 0])
        try layer.forward(bottom: bottom, top: top)
        // c_1 = i·g = 0.375 (a new sequence); c_2 = f·c_1 + i·g = 0.46875; h = o·tanh(c).
        NeuronTest.assertClose(top[0].dataArray, [Float(0.5 * tanh(0.375)), Float(0.5 * tanh(0.46875))], accuracy: 1e-6)
    }

    /// Forward and backward against the net Caffe unrolls, written by hand (every
    /// gate its own layer), with and without a static input and the state exposed.
    func testMatchesTheHandUnrolledNet() throws {
        for (staticSize, expose) in [(0, false), (2, true), (0, true)] {
            try RecurrentLayerTest.assertMatchesUnrolledNet(.lstm, sizes: (3, 2, 3, 2), staticSize: staticSize, expose: expose)
        }
    }

    /// Without expose_hidden the final state of one forward is where the next starts,
    /// as an exposed layer fed with that state computes.
    func testStateCarriesFromOneForwardToTheNext() throws {
        let (t, n, d, h) = (2, 2, 3, 2)
        let carrying = try makeLSTM(hidden: h)
        let exposed = try makeLSTM(hidden: h, options: "expose_hidden: true")
        let x = LayerTest.blob([t, n, d], seed: 1), continuing = NeuronTest.blob([t, n], [1, 0, 1, 1])
        let state = [try Blob(shape: [1, n, h]), try Blob(shape: [1, n, h])]
        let top = try LayerTest.setUp(carrying, bottom: [x, continuing])
        let exposedTop = try LayerTest.setUp(exposed, bottom: [x, continuing] + state, tops: 3)
        for (a, b) in zip(carrying.blobs, exposed.blobs) { b.setData(a.dataArray) }
        for _ in 0..<3 {
            try carrying.forward(bottom: [x, continuing], top: top)
            try exposed.forward(bottom: [x, continuing] + state, top: exposedTop)
            NeuronTest.assertClose(top[0].dataArray, exposedTop[0].dataArray, accuracy: 1e-7)
            state[0].setData(exposedTop[1].dataArray)
            state[1].setData(exposedTop[2].dataArray)
        }
        XCTAssertNotEqual(state[0].dataArray, [Float](repeating: 0, count: n * h))
    }

    func testGradients() throws {
        let (t, n, d, h) = (3, 2, 2, 2)
        let plain = try makeLSTM(hidden: h)
        let bottom = [LayerTest.blob([t, n, d], seed: 1), cont(t, n, starts: [4])]
        try GradientChecker().check(plain, bottom: bottom, top: try LayerTest.setUp(plain, bottom: bottom), bottomsToCheck: [0])

        let full = try makeLSTM(hidden: h, options: "expose_hidden: true")
        let fullBottom = [LayerTest.blob([t, n, d], seed: 1), NeuronTest.blob([t, n], [1, 0, 1, 1, 0, 1]),
                          LayerTest.blob([n, 3], seed: 2), LayerTest.blob([1, n, h], seed: 3), LayerTest.blob([1, n, h], seed: 4)]
        try GradientChecker().check(full, bottom: fullBottom, top: try LayerTest.setUp(full, bottom: fullBottom, tops: 3),
                                    bottomsToCheck: [0, 2, 3, 4])
    }

    func testNoGradientToTheContinuationFlags() throws {
        try RecurrentLayerTest.assertNoGradientToTheContinuationFlags(.lstm)
    }

    func testParameterAndShapeErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "LSTM""#)?.field, "recurrent_param.num_output")
        XCTAssertEqual(NeuronTest.makeError(#"type: "LSTM" recurrent_param { num_output: 2 weight_filler { type: "nope" } }"#)?
                        .field, "recurrent_param.weight_filler.type")
        let layer = try makeLSTM(hidden: 2)
        let badCont = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(3, 2, 4), Blob(2, 3)]) }
        XCTAssertTrue(badCont?.message.contains("must be 3 × 2") ?? false, "\(String(describing: badCont))")
        XCTAssertEqual(badCont?.layer, "lstm")
        let oneAxis = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(3), Blob(3, 1)]) }
        XCTAssertTrue(oneAxis?.message.contains("at least 2 axes") ?? false)

        let exposed = try makeLSTM(hidden: 2, options: "expose_hidden: true")
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(exposed, bottom: [Blob(3, 2, 4), Blob(3, 2)]) }?.field, "bottom")
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.setUp(exposed, bottom: [Blob(3, 2, 4), Blob(3, 2), Blob(1, 2, 2), Blob(1, 2, 2)], tops: 1)
        }?.field, "top")
        let badState = TestSupport.error {
            _ = try LayerTest.setUp(exposed, bottom: [Blob(3, 2, 4), Blob(3, 2), Blob(1, 2, 2), Blob(1, 2, 3)], tops: 3)
        }
        XCTAssertTrue(badState?.message.contains("bottom 3 (an initial hidden state) must be 1x2x2") ?? false,
                      "\(String(describing: badState))")
    }

    /// A .caffemodel's LSTM blobs in Caffe's order load by layer name; another order is a shape mismatch.
    func testCaffemodelWeightsLoadInCaffesOrder() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "input" type: "Input" top: "x" top: "cont" input_param { shape { dim: 4 dim: 2 dim: 3 } shape { dim: 4 dim: 2 } } }
            layer { name: "lstm1" type: "LSTM" bottom: "x" bottom: "cont" top: "h" recurrent_param { num_output: 2 } }
            """)
        let shapes = [[8, 3], [8], [8, 2]]
        var weights = Caffe_NetParameter()
        var layer = Caffe_LayerParameter()
        layer.name = "lstm1"
        layer.type = "LSTM"
        layer.blobs = shapes.enumerated().map { k, shape in
            Caffe_BlobProto(NeuronTest.blob(shape, (0..<shape.reduce(1, *)).map { Float(k) + Float($0) / 100 }))
        }
        weights.layer = [layer]
        XCTAssertEqual(try net.copyTrainedLayers(from: weights), ["lstm1"])
        let loaded = try XCTUnwrap(net.layer(named: "lstm1")).blobs
        XCTAssertEqual(loaded.map(\.shape), shapes)
        XCTAssertEqual(loaded[2].dataArray[15], 2.15)

        weights.layer[0].blobs.swapAt(0, 2)
        let e = TestSupport.error { _ = try net.copyTrainedLayers(from: weights) }
        XCTAssertTrue(e?.message.contains("shape mismatch") ?? false, "\(String(describing: e))")
    }

    /// A layer after this one may work on its top in place (Dropout).
    func testBackwardDoesNotReadTheTopValues() throws {
        try RecurrentLayerTest.assertBackwardDoesNotReadTheTopValues(.lstm)
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try makeLSTM(hidden: 4, options: "expose_hidden: true")
        let bottom = [LayerTest.blob([3, 2, 5]), cont(3, 2), LayerTest.blob([2, 3]), LayerTest.blob([1, 2, 4]), LayerTest.blob([1, 2, 4])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 3)
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: top, propagateDown: [true, false, true, true, true])
        let plain = try makeLSTM(hidden: 4)
        let plainBottom = [LayerTest.blob([3, 2, 5]), cont(3, 2)]
        try StructureFixtures.assertNoAllocations(plain, bottom: plainBottom, top: try LayerTest.setUp(plain, bottom: plainBottom),
                                                  propagateDown: [true, false])
    }
}
