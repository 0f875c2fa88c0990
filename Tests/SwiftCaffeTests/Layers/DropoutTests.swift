import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Dropout: TRAIN keeps each unit with probability 1 − p and scales it by 1/(1 − p);
/// TEST is the identity.
final class DropoutTests: XCTestCase {
    func testTestPhaseIsTheIdentity() throws {
        let layer = try LayerTest.make(#"type: "Dropout" dropout_param { dropout_ratio: 0.5 }"#, phase: .test)
        let bottom = LayerTest.blob([3, 4])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, bottom.dataArray)
        let diff = LayerTest.blob([3, 4], seed: 9).dataArray
        top[0].setDiff(diff)
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, diff)
        // In place there is nothing to do.
        let shared = LayerTest.blob([3, 4])
        let before = shared.dataArray
        try layer.reshape(bottom: [shared], top: [shared])
        try layer.forward(bottom: [shared], top: [shared])
        XCTAssertEqual(shared.dataArray, before)
    }

    func testTrainScalesKeptUnitsAndDropsAboutP() throws {
        let p: Float = 0.3
        let layer = try LayerTest.make(#"type: "Dropout" dropout_param { dropout_ratio: 0.3 }"#)
        let bottom = LayerTest.blob([100, 100], low: 0.5, high: 2)  // no zeros
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let x = bottom.dataArray, y = top[0].dataArray
        var kept = 0
        for (a, b) in zip(x, y) where b != 0 {
            kept += 1
            XCTAssertEqual(b, a / (1 - p), accuracy: 1e-6 * b)
        }
        XCTAssertEqual(Double(kept) / Double(x.count), Double(1 - p), accuracy: 0.02)
        // Backward uses the same mask and scale.
        top[0].fillDiff(1)
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        for (d, b) in zip(bottom.diffArray, y) {
            XCTAssertEqual(d, b == 0 ? 0 : 1 / (1 - p), accuracy: 1e-6)
        }
        // A new mask every forward.
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertNotEqual(top[0].dataArray, y)
    }

    func testDefaultRatioIsHalf() throws {
        let layer = try LayerTest.make(#"type: "Dropout""#)
        let bottom = LayerTest.blob([50, 40], low: 1, high: 2)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let y = top[0].dataArray
        let kept = y.filter { $0 != 0 }.count
        XCTAssertEqual(Double(kept) / Double(y.count), 0.5, accuracy: 0.03)
        for (a, b) in zip(bottom.dataArray, y) where b != 0 { XCTAssertEqual(b, 2 * a) }
    }

    func testSameSeedSameMask() throws {
        func run() throws -> [Float] {
            let layer = try LayerTest.make(#"type: "Dropout""#)
            layer.random = RandomSource(seed: 42)
            let bottom = LayerTest.blob([20, 10])
            let top = try LayerTest.setUp(layer, bottom: [bottom])
            try layer.forward(bottom: [bottom], top: top)
            return top[0].dataArray
        }
        XCTAssertEqual(try run(), try run())
    }

    func testGradientInTrain() throws {
        try NeuronTest.check(#"type: "Dropout" dropout_param { dropout_ratio: 0.4 }"#, shape: [2, 3, 4, 5])
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "Dropout" dropout_param { dropout_ratio: 0.5 }"#, shape: [2, 3, 4, 5])
        try NeuronTest.assertInPlaceMatches(#"type: "Dropout""#, shape: [6, 7], phase: .test)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Dropout""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        for ratio in ["1", "1.5", "-0.1"] {
            let e = NeuronTest.makeError(#"type: "Dropout" dropout_param { dropout_ratio: \#(ratio) }"#)
            XCTAssertEqual(e?.field, "dropout_param.dropout_ratio", ratio)
        }
    }
}
