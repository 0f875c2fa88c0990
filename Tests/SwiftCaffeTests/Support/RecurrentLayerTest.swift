import CaffeProto
import XCTest
@testable import SwiftCaffe

/// What RNNTests and LSTMTests share: the layer with uniform fillers, the sequence
/// continuation flags, the comparison with the hand-unrolled net
/// (`UnrolledRecurrentNet`) and the checks that do not depend on the cell.
enum RecurrentLayerTest {
    /// An RNN or LSTM of `hidden` units, weights and biases uniform in [-0.5, 0.5].
    static func make(_ kind: UnrolledRecurrentNet.Kind, hidden: Int = 3, options: String = "") throws -> Layer {
        let (name, type) = kind == .lstm ? ("lstm", "LSTM") : ("rnn", "RNN")
        return try LayerTest.make(#"""
            name: "\#(name)" type: "\#(type)" recurrent_param { num_output: \#(hidden) \#(options)
              weight_filler { type: "uniform" min: -0.5 max: 0.5 } bias_filler { type: "uniform" min: -0.5 max: 0.5 } }
            """#)
    }

    /// cont for T × N: 0 at t = 0 and at the flat indices in `starts` (a new sequence), 1 elsewhere.
    static func cont(_ t: Int, _ n: Int, starts: Set<Int> = []) -> Blob {
        NeuronTest.blob([t, n], (0..<(t * n)).map { i in i < n || starts.contains(i) ? 0 : 1 })
    }

    /// Forward and backward of the layer against the net Caffe unrolls, written by hand:
    /// x is T × N × D, a new sequence starts in stream 1 at t = 2 (flat index 5), the
    /// static input (when `staticSize` > 0) is N × staticSize, and with `expose` the
    /// initial states are bottoms and the final ones tops. The objective weighs the
    /// output (T × N × H) and each final state (1 × N × H) by fixed random blobs.
    static func assertMatchesUnrolledNet(_ kind: UnrolledRecurrentNet.Kind, sizes: (t: Int, n: Int, d: Int, h: Int),
                                         staticSize: Int, expose: Bool,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let (t, n, d, h) = sizes
        let reference = UnrolledRecurrentNet(kind: kind, timesteps: t, streams: n, inputSize: d, hidden: h,
                                             staticSize: staticSize)
        let states = reference.stateNames
        let layer = try make(kind, hidden: h, options: expose ? "expose_hidden: true" : "")
        var bottom = [LayerTest.blob([t, n, d], seed: 1), cont(t, n, starts: [5])]
        if staticSize > 0 { bottom.append(LayerTest.blob([n, staticSize], seed: 2)) }
        let firstState = bottom.count
        if expose { bottom += states.indices.map { LayerTest.blob([1, n, h], seed: 3 + UInt64($0)) } }
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: expose ? 1 + states.count : 1)
        let weights = [LayerTest.blob([t, n, h], seed: 5)] + states.indices.map { LayerTest.blob([1, n, h], seed: 6 + UInt64($0)) }
        let net = try reference.build(sharing: layer, bottom: bottom, weights: expose ? weights : [weights[0]])
        _ = try net.forward()
        try net.backward()

        func blob(_ name: String) throws -> [Float] { try XCTUnwrap(net.blob(named: name), name, file: file, line: line).dataArray }
        func diff(_ name: String) throws -> [Float] { try XCTUnwrap(net.blob(named: name), name, file: file, line: line).diffArray }
        try layer.forward(bottom: bottom, top: top)
        let what = "\(kind), static \(staticSize), expose_hidden \(expose)"
        NeuronTest.assertClose(top[0].dataArray, try blob("out"), accuracy: 1e-6, what, file: file, line: line)
        if expose {
            for (k, state) in states.enumerated() {
                NeuronTest.assertClose(top[1 + k].dataArray, try blob("\(state)_\(t)"), accuracy: 1e-6, "\(state)_\(t) " + what,
                                       file: file, line: line)
            }
        }
        for k in top.indices { top[k].setDiff(weights[k].dataArray) }
        for p in layer.blobs { p.fillDiff(0) }
        try layer.backward(top: top, propagateDown: bottom.indices.map { $0 != 1 }, bottom: bottom)
        NeuronTest.assertClose(bottom[0].diffArray, try diff("x"), accuracy: 1e-5, "x " + what, file: file, line: line)
        if staticSize > 0 {
            NeuronTest.assertClose(bottom[2].diffArray, try diff("x_static"), accuracy: 1e-5, "static " + what, file: file, line: line)
        }
        if expose {
            for (k, state) in states.enumerated() {
                NeuronTest.assertClose(bottom[firstState + k].diffArray, try diff("\(state)_0"), accuracy: 1e-5,
                                       "\(state)_0 " + what, file: file, line: line)
            }
        }
        for (k, expected) in try reference.parameterDiffs(net).enumerated() {
            NeuronTest.assertClose(layer.blobs[k].diffArray, expected, accuracy: 1e-5, "param \(k) " + what, file: file, line: line)
        }
    }

    /// The continuation flags (bottom 1) get no gradient: asking for one is an error
    /// that names the bottom, and force_backward leaves them alone.
    static func assertNoGradientToTheContinuationFlags(_ kind: UnrolledRecurrentNet.Kind,
                                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try make(kind)
        let bottom = [LayerTest.blob([2, 1, 2]), cont(2, 1)]
        let top = try LayerTest.setUp(layer, bottom: bottom)
        try layer.forward(bottom: bottom, top: top)
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 1), file: file, line: line)
        XCTAssertTrue(layer.allowsForceBackward(bottomIndex: 0), file: file, line: line)
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true], bottom: bottom) }
        XCTAssertTrue(e?.message.contains("sequence continuation input (bottom 1)") ?? false, "\(String(describing: e))",
                      file: file, line: line)
    }

    /// A layer after this one may work on its top in place (Dropout): backward must not
    /// depend on the top's values after forward.
    static func assertBackwardDoesNotReadTheTopValues(_ kind: UnrolledRecurrentNet.Kind,
                                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try make(kind, hidden: 3)
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
        XCTAssertEqual(gradients[0], gradients[1], file: file, line: line)
    }
}
