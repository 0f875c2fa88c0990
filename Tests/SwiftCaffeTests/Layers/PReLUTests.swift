import CaffeProto
import XCTest
@testable import SwiftCaffe

/// PReLU: a learned slope per channel (or one shared), default 0.25.
final class PReLUTests: XCTestCase {
    func testForwardDefaultSlope() throws {
        // 1 × 2 × 1 × 2
        let layer = try LayerTest.make(#"type: "PReLU""#)
        let bottom = NeuronTest.blob([1, 2, 1, 2], [-4, 2, -1, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        XCTAssertEqual(layer.blobs.count, 1)
        XCTAssertEqual(layer.blobs[0].shape, [2])
        XCTAssertEqual(layer.blobs[0].dataArray, [0.25, 0.25])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, [-1, 2, -0.25, 3])
    }

    func testPerChannelForwardAndBackwardByHand() throws {
        // 2 × 2 × 2: slopes 0.5 (channel 0) and −1 (channel 1).
        let layer = try LayerTest.make(#"type: "PReLU""#)
        let bottom = NeuronTest.blob([2, 2, 2], [-2, 1, -3, 4, 5, -6, -1, 0])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        layer.blobs[0].setData([0.5, -1])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, [-1, 1, 3, 4, 5, -3, 1, 0])
        top[0].setDiff([1, 2, 3, 4, 5, 6, 7, 8])
        layer.blobs[0].setDiff([10, 20])  // parameter diffs accumulate
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [0.5, 2, -3, 4, 5, 3, -7, -8])
        // ∂a0 = 1·(−2) + 6·(−6) = −38; ∂a1 = 3·(−3) + 7·(−1) + 8·0 = −16.
        XCTAssertEqual(layer.blobs[0].diffArray, [10 - 38, 20 - 16])
    }

    func testChannelSharedIsAScalarAsInCaffe() throws {
        let layer = try LayerTest.make(#"type: "PReLU" prelu_param { channel_shared: true filler { type: "constant" value: 0.5 } }"#)
        let bottom = NeuronTest.blob([1, 2, 2], [-2, 1, -4, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        XCTAssertEqual(layer.blobs[0].shape, [])
        XCTAssertEqual(layer.blobs[0].count, 1)
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, [-1, 1, -2, 3])
        top[0].setDiff([1, 1, 2, 1])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(layer.blobs[0].diffArray, [-2 - 8])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "PReLU" prelu_param { filler { type: "uniform" min: -0.5 max: 0.5 } }"#,
                             shape: [2, 3, 3, 2])
        try NeuronTest.check(#"type: "PReLU" prelu_param { channel_shared: true filler { type: "gaussian" std: 0.5 } }"#,
                             shape: [2, 3, 3, 2])
        try NeuronTest.check(#"type: "PReLU""#, shape: [5, 4])
    }

    func testInPlace() throws {
        let uniform = #"filler { type: "uniform" min: -0.5 max: 0.5 }"#
        try NeuronTest.assertInPlaceMatches(#"type: "PReLU" prelu_param { \#(uniform) }"#, shape: [2, 3, 4, 5])
        try NeuronTest.assertInPlaceMatches(#"type: "PReLU" prelu_param { channel_shared: true \#(uniform) }"#,
                                            shape: [2, 3, 5])
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "PReLU""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        // One axis: no channels.
        let flat = LayerTest.blob([6])
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [flat]) }
        XCTAssertTrue(e?.message.contains("at least 2 axes") ?? false, "\(String(describing: e))")
        // The channel count may not change after set-up.
        let three = LayerTest.blob([2, 3, 4])
        let top = try LayerTest.setUp(layer, bottom: [three])
        let four = LayerTest.blob([2, 4, 4])
        let mismatch = TestSupport.error { try layer.reshape(bottom: [four], top: top) }
        XCTAssertTrue(mismatch?.message.contains("4 channels") ?? false, "\(String(describing: mismatch))")
        // Bad filler.
        let filler = NeuronTest.makeError(#"type: "PReLU" prelu_param { filler { type: "constnt" } }"#)
        XCTAssertEqual(filler?.field, "prelu_param.filler.type")
    }
}
