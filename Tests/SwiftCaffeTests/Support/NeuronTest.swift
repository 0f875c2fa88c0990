import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Helpers shared by the element-wise (neuron) layer tests.
enum NeuronTest {
    static func blob(_ shape: [Int], _ values: [Float]) -> Blob {
        let b = try! Blob(shape: shape)
        b.setData(values)
        return b
    }

    static func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-6, _ what: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated()
        where !(abs(a - e) <= accuracy * max(1, abs(e))) {
            XCTFail("\(what)[\(i)]: \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    /// Runs the layer described by `text` out of place and in place (top === bottom) on
    /// the same input, top diff and random state; outputs, bottom diffs and parameter
    /// diffs must be identical.
    static func assertInPlaceMatches(_ text: String, shape: [Int], low: Float = -1, high: Float = 1,
                                     phase: Caffe_Phase = .train, prepare: (Layer) -> Void = { _ in },
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        let input = LayerTest.blob(shape, low: low, high: high, seed: 3)
        let topDiff = LayerTest.blob(shape, seed: 4).dataArray

        let outLayer = try LayerTest.make(text, phase: phase)
        outLayer.random = RandomSource(seed: 99)
        let bottom = LayerTest.blob(shape, low: low, high: high, seed: 3)
        let top = try LayerTest.setUp(outLayer, bottom: [bottom])
        prepare(outLayer)
        try outLayer.forward(bottom: [bottom], top: top)
        top[0].setDiff(topDiff)
        try outLayer.backward(top: top, propagateDown: [true], bottom: [bottom])

        let inLayer = try LayerTest.make(text, phase: phase)
        inLayer.random = RandomSource(seed: 99)
        let shared = input
        try LayerTest.setUp(inLayer, bottom: [shared], top: [shared])
        prepare(inLayer)
        try inLayer.forward(bottom: [shared], top: [shared])
        XCTAssertEqual(shared.dataArray, top[0].dataArray, "in-place top data", file: file, line: line)
        shared.setDiff(topDiff)
        try inLayer.backward(top: [shared], propagateDown: [true], bottom: [shared])
        XCTAssertEqual(shared.diffArray, bottom.diffArray, "in-place bottom diff", file: file, line: line)
        for (a, b) in zip(inLayer.blobs, outLayer.blobs) {
            XCTAssertEqual(a.diffArray, b.diffArray, "in-place parameter diff", file: file, line: line)
        }
    }

    /// A gradient check of `text` on a random input of `shape`.
    static func check(_ text: String, shape: [Int], low: Float = -1, high: Float = 1, phase: Caffe_Phase = .train,
                      checker: GradientChecker = GradientChecker(), prepare: (Layer) -> Void = { _ in },
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try LayerTest.make(text, phase: phase)
        let bottom = LayerTest.blob(shape, low: low, high: high, seed: 11)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        prepare(layer)
        try checker.check(layer, bottom: [bottom], top: top, file: file, line: line)
    }

    /// Forward of `text` on `values` (shape `shape`, default a vector).
    static func forward(_ text: String, _ values: [Float], shape: [Int]? = nil,
                        phase: Caffe_Phase = .train) throws -> [Float] {
        let layer = try LayerTest.make(text, phase: phase)
        let bottom = blob(shape ?? [values.count], values)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        return top[0].dataArray
    }

    /// The error `text` raises when the layer is made.
    static func makeError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SwiftCaffeError? {
        TestSupport.error({ _ = try LayerTest.make(text) }, file: file, line: line)
    }

    /// A small net in Caffe's style around one neuron layer: Input (data 4×5, target
    /// 4×3) → InnerProduct "ip" (3 outputs) → the layer → EuclideanLoss. `layer` is the
    /// layer's type and parameters, e.g. `type: "Exp" exp_param { base: 2 }`; `top`
    /// names its top ("act", or "ip" for in place).
    static func net(_ layer: String, top: String = "act", propagateDown: Bool? = nil) throws -> Net {
        let propagate = propagateDown.map { " propagate_down: \($0)" } ?? ""
        let net = try TestSupport.buildNet("""
            name: "neuron_net"
            layer { name: "input" type: "Input" top: "data" top: "target"
                    input_param { shape { dim: 4 dim: 5 } shape { dim: 4 dim: 3 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                    inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 }
                                          bias_filler { type: "constant" value: 0.1 } } }
            layer { name: "neuron" \(layer) bottom: "ip" top: "\(top)"\(propagate) }
            layer { name: "loss" type: "EuclideanLoss" bottom: "\(top)" bottom: "target" top: "loss" }
            """)
        net.blob(named: "data")!.setData(LayerTest.blob([4, 5], seed: 21).dataArray)
        net.blob(named: "target")!.setData(LayerTest.blob([4, 3], seed: 22).dataArray)
        return net
    }

    /// Runs `layer` in `net(_:)` out of place and in place: forward and backward run,
    /// the loss and the InnerProduct gradients agree between the two, and the weight
    /// gradient the net back-propagates through the layer matches finite differences
    /// of the net's loss.
    static func checkInNet(_ layer: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let net = try self.net(layer), inPlace = try self.net(layer, top: "ip")
        let weights = net.layer(named: "ip")!.blobs, inPlaceWeights = inPlace.layer(named: "ip")!.blobs
        for (a, b) in zip(inPlaceWeights, weights) { a.setData(b.dataArray) }
        let loss = try net.forward()
        try net.backward()
        XCTAssertTrue(loss.isFinite && loss > 0, "loss \(loss)", file: file, line: line)
        XCTAssertEqual(try inPlace.forward(), loss, "in-place loss", file: file, line: line)
        try inPlace.backward()
        for (a, b) in zip(inPlaceWeights, weights) {
            XCTAssertEqual(a.diffArray, b.diffArray, "in-place InnerProduct gradient", file: file, line: line)
        }
        let w = weights[0], analytic = w.diffArray, h: Float = 1e-2
        XCTAssertTrue(analytic.contains { $0 != 0 }, "no gradient reached the InnerProduct", file: file, line: line)
        for k in 0..<w.count {
            let saved = w.data[k]
            w.data[k] = saved + h
            let plus = Double(try net.forward())
            w.data[k] = saved - h
            let minus = Double(try net.forward())
            w.data[k] = saved
            let numeric = Float((plus - minus) / (2 * Double(h)))
            XCTAssertEqual(analytic[k], numeric, accuracy: 2e-3 * max(1, abs(numeric)),
                           "∂loss/∂ip.weights[\(k)]", file: file, line: line)
        }
    }
}
