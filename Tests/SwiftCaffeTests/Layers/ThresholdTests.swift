import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Threshold: 1 where x > threshold, else 0; no gradient (Caffe's backward is NOT_IMPLEMENTED).
final class ThresholdTests: XCTestCase {
    func testForward() throws {
        XCTAssertEqual(try NeuronTest.forward(#"type: "Threshold""#, [-1, 0, 0.5, 1e-7]), [0, 0, 1, 1])
        let t = #"type: "Threshold" threshold_param { threshold: 0.5 }"#
        XCTAssertEqual(try NeuronTest.forward(t, [0.4, 0.5, 0.6, -3], shape: [2, 2]), [0, 0, 1, 0])
    }

    func testInPlaceForward() throws {
        let layer = try LayerTest.make(#"type: "Threshold" threshold_param { threshold: -1 }"#)
        let blob = NeuronTest.blob([4], [-2, -1, -0.5, 3])
        try LayerTest.setUp(layer, bottom: [blob], top: [blob])
        try layer.forward(bottom: [blob], top: [blob])
        XCTAssertEqual(blob.dataArray, [0, 0, 1, 1])
    }

    func testAGradientIsAnError() throws {
        let layer = try LayerTest.make(#"name: "step" type: "Threshold""#)
        let bottom = NeuronTest.blob([2], [-1, 1])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        try layer.backward(top: top, propagateDown: [false], bottom: [bottom])  // nothing asked: fine
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true], bottom: [bottom]) }
        XCTAssertEqual(e?.layer, "step")
        XCTAssertTrue(e?.message.contains("no gradient") ?? false, "\(String(describing: e))")
        XCTAssertTrue(e?.hint?.contains("propagate_down: false") ?? false)
        // force_backward does not ask for it.
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 0))
    }

    func testInANet() throws {
        // Under a loss with a learned layer below, the gradient is asked for: backward fails clearly.
        let net = try NeuronTest.net(#"type: "Threshold""#)
        let loss = try net.forward()
        XCTAssertTrue(loss.isFinite && loss > 0)
        let ip = net.blob(named: "ip")!.dataArray
        XCTAssertEqual(net.blob(named: "act")!.dataArray, ip.map { $0 > 0 ? Float(1) : 0 })
        let e = TestSupport.error { try net.backward() }
        XCTAssertEqual(e?.layer, "neuron")
        // With propagate_down: false it runs and nothing below it learns, as in Caffe.
        let stopped = try NeuronTest.net(#"type: "Threshold""#, propagateDown: false)
        XCTAssertEqual(try stopped.forward(), loss)
        try stopped.backward()
        XCTAssertFalse(stopped.layerNeedsBackward[stopped.layers.firstIndex { $0.name == "ip" }!])
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Threshold""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        var param = Caffe_LayerParameter()
        param.type = "Threshold"
        param.thresholdParam.threshold = .nan
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(param) }?.field, "threshold_param.threshold")
    }
}
