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
        try inLayer.setUp(bottom: [shared], top: [shared])
        try inLayer.fillParameters()
        try inLayer.reshape(bottom: [shared], top: [shared])
        inLayer.paramPropagateDown = inLayer.blobs.map { _ in true }
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
}

/// ReLU: max(0, x) + negative_slope · min(0, x); in place reads the sign from y.
final class ReLUTests: XCTestCase {
    func testForwardPlain() throws {
        let y = try NeuronTest.forward(#"type: "ReLU""#, [-2, -0.5, 0, 1, 3])
        XCTAssertEqual(y, [0, 0, 0, 1, 3])
    }

    func testForwardNegativeSlope() throws {
        let y = try NeuronTest.forward(#"type: "ReLU" relu_param { negative_slope: 0.1 }"#, [-2, -0.5, 0, 1, 3])
        NeuronTest.assertClose(y, [-0.2, -0.05, 0, 1, 3])
    }

    func testBackwardByHand() throws {
        let layer = try LayerTest.make(#"type: "ReLU" relu_param { negative_slope: 0.25 }"#)
        let bottom = NeuronTest.blob([4], [-1, 2, -3, 4])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 2, 4, 8])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [0.25, 2, 1, 8])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "ReLU""#, shape: [2, 3, 4, 5])
        try NeuronTest.check(#"type: "ReLU" relu_param { negative_slope: 0.1 }"#, shape: [3, 5, 7])
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "ReLU""#, shape: [2, 3, 4, 5])
        try NeuronTest.assertInPlaceMatches(#"type: "ReLU" relu_param { negative_slope: 0.1 }"#, shape: [3, 7])
        // A negative slope flips signs, so the layer keeps a copy of x.
        try NeuronTest.assertInPlaceMatches(#"type: "ReLU" relu_param { negative_slope: -0.5 }"#, shape: [3, 7])
    }

    func testBigInputSplitsOverCores() throws {
        // Larger than Parallel.minimumPerThread so that the loops run in chunks.
        let count = 3 * Parallel.minimumPerThread + 5
        let values = (0..<count).map { Float($0 % 7) - 3 }
        let y = try NeuronTest.forward(#"type: "ReLU" relu_param { negative_slope: 0.5 }"#, values)
        XCTAssertEqual(y, values.map { $0 > 0 ? $0 : 0.5 * $0 })
    }

    func testCountsAndEngine() throws {
        let layer = try LayerTest.make(#"type: "ReLU""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        let e = NeuronTest.makeError(#"type: "ReLU" relu_param { engine: CUDNN }"#)
        XCTAssertEqual(e?.field, "relu_param.engine")
    }
}
