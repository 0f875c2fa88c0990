import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// LRN: hand-computed values across and within channels, gradients, errors.
final class LRNTests: XCTestCase {
    func testAcrossChannelsByHand() throws {
        // 1 × 3 × 1 × 1, x = 1, 2, 3; local_size 3, alpha 1, beta 0.75, k 2:
        // scale_c = 2 + (1/3) · Σ x² over channels c−1 … c+1 (zero beyond the edges).
        let layer = try LayerTest.make(
            #"type: "LRN" lrn_param { local_size: 3 alpha: 1 beta: 0.75 k: 2 }"#)
        let bottom = NeuronTest.blob([1, 3, 1, 1], [1, 2, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let scales = [2 + (1.0 + 4) / 3, 2 + (1.0 + 4 + 9) / 3, 2 + (4.0 + 9) / 3]
        let expected = zip([1.0, 2, 3], scales).map { Float($0 * pow($1, -0.75)) }
        NeuronTest.assertClose(top[0].dataArray, expected, accuracy: 2e-7)
    }

    func testAcrossChannelsBackwardByHand() throws {
        // One pixel, two channels, local_size 3, alpha 3 (α/n = 1), beta 0.5, k 1:
        // s = 1 + x0² + x1² for both channels; y_c = x_c / √s.
        // ∂y_c/∂x_d = δ_cd/√s − x_c·x_d / s^1.5.
        let layer = try LayerTest.make(#"type: "LRN" lrn_param { local_size: 3 alpha: 3 beta: 0.5 k: 1 }"#)
        let bottom = NeuronTest.blob([1, 2, 1, 1], [1, 2])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let s = 6.0
        NeuronTest.assertClose(top[0].dataArray, [Float(1 / s.squareRoot()), Float(2 / s.squareRoot())])
        top[0].setDiff([1, 0])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        NeuronTest.assertClose(bottom.diffArray, [Float(1 / s.squareRoot() - 1 / pow(s, 1.5)),
                                                  Float(-2 / pow(s, 1.5))])
    }

    func testWithinChannelByHand() throws {
        // 1 × 1 × 2 × 3, local_size 3 (pad 1): every window's divisor is 9 (padded cells count).
        // Window sums of x²: columns 0 and 1 of both rows: 1+4+16+25 = 46; all: 91; columns 1, 2: 74.
        // k is ignored within a channel.
        let layer = try LayerTest.make(
            #"type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 0.1 beta: 0.75 k: 5 }"#)
        let x: [Float] = [1, 2, 3, 4, 5, 6]
        let bottom = NeuronTest.blob([1, 1, 2, 3], x)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let sums: [Double] = [46, 91, 74, 46, 91, 74]
        let expected = zip(x, sums).map { Float(Double($0) * pow(1 + 0.1 * $1 / 9, -0.75)) }
        NeuronTest.assertClose(top[0].dataArray, expected, accuracy: 2e-7)
    }

    func testGradientAcrossChannels() throws {
        try NeuronTest.check(#"type: "LRN" lrn_param { local_size: 5 alpha: 1 beta: 0.75 k: 2 }"#,
                             shape: [2, 7, 3, 3], low: -2, high: 2)
        // Window wider than the channel count, default parameters.
        try NeuronTest.check(#"type: "LRN" lrn_param { local_size: 7 alpha: 2 }"#, shape: [1, 3, 2, 5], low: -2, high: 2)
    }

    func testGradientWithinChannel() throws {
        try NeuronTest.check(
            #"type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 1 beta: 0.75 }"#,
            shape: [2, 3, 4, 5], low: -2, high: 2)
        try NeuronTest.check(
            #"type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL local_size: 5 alpha: 2 beta: 0.6 }"#,
            shape: [1, 2, 3, 6], low: -2, high: 2)
    }

    func testBigInputMatchesPerSampleRuns() throws {
        // Bigger than one parallel chunk: the split over pixel runs must not change the numbers.
        let text = #"type: "LRN" lrn_param { local_size: 5 alpha: 0.1 beta: 0.75 }"#
        let layer = try LayerTest.make(text)
        let bottom = LayerTest.blob([3, 16, 33, 31])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff(LayerTest.blob([3, 16, 33, 31], seed: 5).dataArray)
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        let single = try LayerTest.make(text)
        let plane = 16 * 33 * 31
        for n in 0..<3 {
            let b = NeuronTest.blob([1, 16, 33, 31], Array(bottom.dataArray[n * plane..<(n + 1) * plane]))
            let t = try LayerTest.setUp(single, bottom: [b])
            try single.forward(bottom: [b], top: t)
            XCTAssertEqual(t[0].dataArray, Array(top[0].dataArray[n * plane..<(n + 1) * plane]))
            t[0].setDiff(Array(top[0].diffArray[n * plane..<(n + 1) * plane]))
            try single.backward(top: t, propagateDown: [true], bottom: [b])
            XCTAssertEqual(b.diffArray, Array(bottom.diffArray[n * plane..<(n + 1) * plane]))
        }
    }

    func testErrors() throws {
        for size in ["4", "0"] {
            let e = NeuronTest.makeError(#"type: "LRN" lrn_param { local_size: \#(size) }"#)
            XCTAssertEqual(e?.field, "lrn_param.local_size", size)
        }
        XCTAssertEqual(NeuronTest.makeError(#"type: "LRN" lrn_param { engine: CUDNN }"#)?.field, "lrn_param.engine")
        let layer = try LayerTest.make(#"type: "LRN""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        let flat = LayerTest.blob([2, 6])
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [flat]) }
        XCTAssertTrue(e?.message.contains("4-D") ?? false, "\(String(describing: e))")
        let image = LayerTest.blob([1, 3, 2, 2])
        let inPlace = TestSupport.error { try layer.reshape(bottom: [image], top: [image]) }
        XCTAssertTrue(inPlace?.message.contains("in place") ?? false, "\(String(describing: inPlace))")
    }
}

/// The LRN layers of the Caffe fixtures lrn_across and lrn_within, run alone on
/// Caffe's input: outputs and gradients must match Caffe's.
final class LRNCaffeFixtureTests: XCTestCase {
    func testAcrossChannels() throws {
        try LayerCaffeFixture("lrn_across").compare(layer: "norm", bottom: "data", top: "norm", bottomDiff: "data")
    }

    func testWithinChannel() throws {
        try LayerCaffeFixture("lrn_within").compare(layer: "norm", bottom: "data", top: "norm", bottomDiff: "data")
    }
}
