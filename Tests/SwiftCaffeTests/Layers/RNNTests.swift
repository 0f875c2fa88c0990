import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class RNNTests: XCTestCase {
    func makeRNN(hidden: Int = 3, options: String = "") throws -> Layer {
        try RecurrentLayerTest.make(.rnn, hidden: hidden, options: options)
    }

    /// cont for T × N: 0 at t = 0 and where `starts` says, 1 elsewhere.
    func cont(_ t: Int, _ n: Int, starts: Set<Int> = []) -> Blob { RecurrentLayerTest.cont(t, n, starts: starts) }

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

    /// Forward and backward against the net Caffe unrolls, written by hand, with and
    /// without a static input and the state exposed.
    func testMatchesTheHandUnrolledNet() throws {
        for (staticSize, expose) in [(0, false), (3, true)] {
            try RecurrentLayerTest.assertMatchesUnrolledNet(.rnn, sizes: (3, 2, 2, 3), staticSize: staticSize, expose: expose)
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
        try RecurrentLayerTest.assertNoGradientToTheContinuationFlags(.rnn)
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

    /// A layer after this one may work on its top in place (Dropout).
    func testBackwardDoesNotReadTheTopValues() throws {
        try RecurrentLayerTest.assertBackwardDoesNotReadTheTopValues(.rnn)
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try makeRNN(hidden: 4, options: "expose_hidden: true")
        let bottom = [LayerTest.blob([3, 2, 5]), cont(3, 2), LayerTest.blob([2, 3]), LayerTest.blob([1, 2, 4])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: top, propagateDown: [true, false, true, true])
    }
}
