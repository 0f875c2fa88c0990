import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Clip: min(max(x, min), max); the gradient passes where min ≤ x ≤ max (bounds included).
final class ClipTests: XCTestCase {
    let clip = #"type: "Clip" clip_param { min: -1 max: 2 }"#

    func testForwardAndBackward() throws {
        let layer = try LayerTest.make(clip)
        let bottom = NeuronTest.blob([6], [-3, -1, 0.5, 2, 5, -1.0001])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, [-1, -1, 0.5, 2, 2, -1])
        top[0].setDiff([1, 2, 3, 4, 5, 6])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [0, 2, 3, 4, 0, 0])
    }

    func testInPlaceTellsTheBoundFromBeyondIt() throws {
        // In place y = −1 for both x = −1 (gradient passes) and x = −3 (blocked): x is kept.
        let layer = try LayerTest.make(clip)
        let blob = NeuronTest.blob([4], [-1, -3, 2, 7])
        try LayerTest.setUp(layer, bottom: [blob], top: [blob])
        try layer.forward(bottom: [blob], top: [blob])
        XCTAssertEqual(blob.dataArray, [-1, -1, 2, 2])
        blob.setDiff([1, 1, 1, 1])
        try layer.backward(top: [blob], propagateDown: [true], bottom: [blob])
        XCTAssertEqual(blob.diffArray, [1, 0, 1, 0])
    }

    func testGradient() throws {
        try NeuronTest.check(clip, shape: [2, 3, 4, 5], low: -2, high: 3)
        try NeuronTest.check(#"type: "Clip" clip_param { min: 0 max: 0.25 }"#, shape: [4, 5], low: -0.5, high: 0.75)
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(clip, shape: [2, 3, 5], low: -2, high: 3)
    }

    func testInANet() throws {
        try NeuronTest.checkInNet(#"type: "Clip" clip_param { min: -0.4 max: 0.5 }"#)
    }

    func testErrors() throws {
        let layer = try LayerTest.make(clip)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        // Both bounds are required (no defaults in caffe.proto).
        XCTAssertEqual(NeuronTest.makeError(#"type: "Clip""#)?.field, "clip_param.min")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Clip" clip_param { min: 0 }"#)?.field, "clip_param.max")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Clip" clip_param { max: 1 }"#)?.field, "clip_param.min")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Clip" clip_param { min: 2 max: 1 }"#)?.field, "clip_param.min")
        // min = max is allowed: a constant.
        XCTAssertEqual(try NeuronTest.forward(#"type: "Clip" clip_param { min: 1 max: 1 }"#, [0, 3]), [1, 1])
    }
}
