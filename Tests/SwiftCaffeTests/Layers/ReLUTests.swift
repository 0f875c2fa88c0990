import CaffeProto
import XCTest
@testable import SwiftCaffe

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
