import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class RNNTests: XCTestCase {
    func makeRNN(hidden: Int = 3, options: String = "") throws -> Layer {
        try LayerTest.make(#"""
            name: "rnn" type: "RNN" recurrent_param { num_output: \#(hidden) \#(options)
              weight_filler { type: "uniform" min: -0.5 max: 0.5 } bias_filler { type: "uniform" min: -0.5 max: 0.5 } }
            """#)
    }

    func cont(_ t: Int, _ n: Int, starts: Set<Int> = []) -> Blob {
        NeuronTest.blob([t, n], (0..<(t * n)).map { i in i < n || starts.contains(i) ? 0 : 1 })
    }

    func testParametersInCaffesOrderAndShapes() throws {
        let plain = try makeRNN(hidden: 2)
        let top = try LayerTest.setUp(plain, bottom: [Blob(4, 3, 5), cont(4, 3)])
        XCTAssertEqual(plain.blobs.map(\.shape), [[2, 5], [2], [2, 2], [2, 2], [2]], "W_xh, b_h, W_hh, W_ho, b_o")
        XCTAssertEqual(top[0].shape, [4, 3, 2])
        let full = try makeRNN(hidden: 2, options: "expose_hidden: true")
        let tops = try LayerTest.setUp(full, bottom: [Blob(4, 3, 5), cont(4, 3), Blob(3, 7), Blob(1, 3, 2)], tops: 2)
        XCTAssertEqual(full.blobs.map(\.shape), [[2, 5], [2], [2, 7], [2, 2], [2, 2], [2]],
                       "W_xh, b_h, W_xh_static, W_hh, W_ho, b_o")
        XCTAssertEqual(tops.map(\.shape), [[4, 3, 2], [1, 3, 2]])
    }

    func testBiasesTakeTheBiasFiller() throws {
        let layer = try LayerTest.make(#"""
            type: "RNN" recurrent_param { num_output: 2
              weight_filler { type: "constant" value: 0.5 } bias_filler { type: "constant" value: -1 } }
            """#)
        _ = try LayerTest.setUp(layer, bottom: [Blob(2, 1, 3), cont(2, 1)])
        XCTAssertEqual(layer.blobs.map { Set($0.dataArray) }, [[0.5], [-1], [0.5], [0.5], [-1]])
    }

    /// One unit: W_xh 1, b_h 0, W_hh 0.5, W_ho 2, b_o 0.1; x = (0.3, −0.2), cont (0, 1) then (0, 0).
    func testHandComputedSteps() throws {
        let layer = try makeRNN(hidden: 1)
        let x = NeuronTest.blob([2, 1, 1], [0.3, -0.2])
        var bottom = [x, NeuronTest.blob([2, 1], [0, 1])]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        for (blob, value) in zip(layer.blobs, [Float(1), 0, 0.5, 2, 0.1]) { blob.setData([value]) }
        try layer.forward(bottom: bottom, top: top)
        let h1 = tanh(0.3), h2 = tanh(0.5 * h1 - 0.2)
        NeuronTest.assertClose(top[0].dataArray, [Float(tanh(2 * h1 + 0.1)), Float(tanh(2 * h2 + 0.1))], accuracy: 1e-6)
        bottom[1] = NeuronTest.blob([2, 1], [0, 0])
        try layer.forward(bottom: bottom, top: top)
        XCTAssertEqual(top[0].dataArray[1], Float(tanh(2 * tanh(-0.2) + 0.1)), accuracy: 1e-6)
    }

    func testMatchesTheHandUnrolledNet() throws {
        for (staticSize, expose) in [(0, false), (3, true)] {
            let (t, n, d, h) = (3, 2, 2, 3)
            let layer = try makeRNN(hidden: h, options: expose ? "expose_hidden: true" : "")
            var bottom = [LayerTest.blob([t, n, d], seed: 1), cont(t, n, starts: [5])]
            if staticSize > 0 { bottom.append(LayerTest.blob([n, staticSize], seed: 2)) }
            if expose { bottom.append(LayerTest.blob([1, n, h], seed: 3)) }
            let top = try LayerTest.setUp(layer, bottom: bottom, tops: expose ? 2 : 1)
            let weights = [LayerTest.blob([t, n, h], seed: 5), LayerTest.blob([1, n, h], seed: 6)]
            let reference = UnrolledRecurrentNet(kind: .rnn, timesteps: t, streams: n, inputSize: d, hidden: h,
                                                 staticSize: staticSize)
            let net = try reference.build(sharing: layer, bottom: bottom, weights: expose ? weights : [weights[0]])
            _ = try net.forward()
            try net.backward()

            try layer.forward(bottom: bottom, top: top)
            let what = "static \(staticSize), expose_hidden \(expose)"
            NeuronTest.assertClose(top[0].dataArray, try XCTUnwrap(net.blob(named: "out")).dataArray, accuracy: 1e-6, what)
            if expose {
                NeuronTest.assertClose(top[1].dataArray, try XCTUnwrap(net.blob(named: "h_3")).dataArray, accuracy: 1e-6, what)
            }
            for k in top.indices { top[k].setDiff(weights[k].dataArray) }
            for p in layer.blobs { p.fillDiff(0) }
            try layer.backward(top: top, propagateDown: bottom.indices.map { $0 != 1 }, bottom: bottom)
            NeuronTest.assertClose(bottom[0].diffArray, try XCTUnwrap(net.blob(named: "x")).diffArray, accuracy: 1e-5, "x " + what)
            if staticSize > 0 {
                NeuronTest.assertClose(bottom[2].diffArray, try XCTUnwrap(net.blob(named: "x_static")).diffArray,
                                       accuracy: 1e-5, "static " + what)
            }
            if expose {
                NeuronTest.assertClose(bottom[bottom.count - 1].diffArray, try XCTUnwrap(net.blob(named: "h_0")).diffArray,
                                       accuracy: 1e-5, "h_0 " + what)
            }
            for (k, diff) in try reference.parameterDiffs(net).enumerated() {
                NeuronTest.assertClose(layer.blobs[k].diffArray, diff, accuracy: 1e-5, "param \(k) " + what)
            }
        }
    }

    func testGradients() throws {
        let (t, n, d, h) = (3, 2, 2, 2)
        let plain = try makeRNN(hidden: h)
        let bottom = [LayerTest.blob([t, n, d], seed: 1), cont(t, n, starts: [4])]
        try GradientChecker().check(plain, bottom: bottom, top: try LayerTest.setUp(plain, bottom: bottom), bottomsToCheck: [0])

        let full = try makeRNN(hidden: h, options: "expose_hidden: true")
        let fullBottom = [LayerTest.blob([t, n, d], seed: 1), NeuronTest.blob([t, n], [1, 0, 1, 1, 0, 1]),
                          LayerTest.blob([n, 3], seed: 2), LayerTest.blob([1, n, h], seed: 3)]
        try GradientChecker().check(full, bottom: fullBottom, top: try LayerTest.setUp(full, bottom: fullBottom, tops: 2),
                                    bottomsToCheck: [0, 2, 3])
    }

    func testNoGradientToTheContinuationFlags() throws {
        let layer = try makeRNN()
        let bottom = [LayerTest.blob([2, 1, 2]), cont(2, 1)]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        try layer.forward(bottom: bottom, top: top)
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 1))
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true], bottom: bottom) }
        XCTAssertTrue(e?.message.contains("sequence continuation input (bottom 1)") ?? false, "\(String(describing: e))")
    }

    func testErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "RNN" recurrent_param { num_output: 0 }"#)?.field, "recurrent_param.num_output")
        let layer = try makeRNN(hidden: 2)
        _ = try LayerTest.setUp(layer, bottom: [Blob(3, 2, 4), cont(3, 2)])
        let changedInput = TestSupport.error { try layer.reshape(bottom: [Blob(3, 2, 5), cont(3, 2)], top: [Blob(1)]) }
        XCTAssertTrue(changedInput?.message.contains("but the weights expect 4") ?? false, "\(String(describing: changedInput))")
        let staticMismatch = TestSupport.error { _ = try LayerTest.setUp(try self.makeRNN(), bottom: [Blob(3, 2, 4), cont(3, 2), Blob(3, 1)]) }
        XCTAssertTrue(staticMismatch?.message.contains("the static input (bottom 2) must be 2 ×") ?? false,
                      "\(String(describing: staticMismatch))")
    }

    /// A layer after this one may work on its top in place (Dropout): backward must not
    /// depend on the top's values after forward.
    func testBackwardDoesNotReadTheTopValues() throws {
        let layer = try makeRNN(hidden: 3)
        let bottom = [LayerTest.blob([3, 2, 4], seed: 1), cont(3, 2)]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        var gradients: [[Float]] = []
        for overwrite in [false, true] {
            try layer.forward(bottom: bottom, top: top)
            if overwrite { top[0].fillData(0) }
            top[0].setDiff(LayerTest.blob(top[0].shape, seed: 9).dataArray)
            for p in layer.blobs { p.fillDiff(0) }
            try layer.backward(top: top, propagateDown: [true, false], bottom: bottom)
            gradients.append(bottom[0].diffArray + layer.blobs.flatMap(\.diffArray))
        }
        XCTAssertEqual(gradients[0], gradients[1])
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try makeRNN(hidden: 4, options: "expose_hidden: true")
        let bottom = [LayerTest.blob([3, 2, 5]), cont(3, 2), LayerTest.blob([2, 3]), LayerTest.blob([1, 2, 4])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: top, propagateDown: [true, false, true, true])
    }
}
