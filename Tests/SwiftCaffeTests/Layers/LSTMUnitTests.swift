import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class LSTMUnitTests: XCTestCase {
    /// Gate inputs giving i = 0.75, f = 0.25, o = 0.5, g = 0.5 (one cell).
    let gates: [Float] = [Float(log(3.0)), Float(-log(3.0)), 0, Float(atanh(0.5))]

    func testHandComputedStep() throws {
        let layer = try LayerTest.make(#"type: "LSTMUnit""#)
        // Two streams of one cell, c_prev 2 both; the second starts a sequence (cont 0).
        let bottom = [NeuronTest.blob([1, 2, 1], [2, 2]), NeuronTest.blob([1, 2, 4], gates + gates),
                      NeuronTest.blob([1, 2], [1, 0])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try layer.forward(bottom: bottom, top: top)
        XCTAssertEqual(top.map(\.shape), [[1, 2, 1], [1, 2, 1]])
        // c = f·c_prev + i·g = 0.25·2 + 0.75·0.5; cont 0: f = 0, c = 0.375; h = o·tanh(c).
        NeuronTest.assertClose(top[0].dataArray, [0.875, 0.375], accuracy: 1e-6)
        NeuronTest.assertClose(top[1].dataArray, [Float(0.5 * tanh(0.875)), Float(0.5 * tanh(0.375))], accuracy: 1e-6)
    }

    func testHandComputedBackward() throws {
        let layer = try LayerTest.make(#"type: "LSTMUnit""#)
        let bottom = [NeuronTest.blob([1, 1, 1], [2]), NeuronTest.blob([1, 1, 4], gates), NeuronTest.blob([1, 1], [1])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try layer.forward(bottom: bottom, top: top)
        top[0].setDiff([0]); top[1].setDiff([1])
        try layer.backward(top: top, propagateDown: [true, true, false], bottom: bottom)
        let tc = tanh(0.875), cTerm = 0.5 * (1 - tc * tc)   // dL/dc through h = o·tanh(c)
        NeuronTest.assertClose(bottom[0].diffArray, [Float(cTerm * 0.25)], accuracy: 1e-6)
        NeuronTest.assertClose(bottom[1].diffArray, [Float(cTerm * 0.5 * 0.75 * 0.25), Float(cTerm * 2 * 0.25 * 0.75),
                                                     Float(tc * 0.5 * 0.5), Float(cTerm * 0.75 * 0.75)], accuracy: 1e-6)
    }

    func testGradient() throws {
        let layer = try LayerTest.make(#"type: "LSTMUnit""#)
        let cont = NeuronTest.blob([1, 3], [1, 0, 1])
        let bottom = [LayerTest.blob([1, 3, 4], seed: 1), LayerTest.blob([1, 3, 16], low: -2, high: 2, seed: 2), cont]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try GradientChecker().check(layer, bottom: bottom, top: top, bottomsToCheck: [0, 1])
    }

    func testNoGradientToTheContinuationFlags() throws {
        let layer = try LayerTest.make(#"type: "LSTMUnit""#)
        let bottom = [LayerTest.blob([1, 2, 3]), LayerTest.blob([1, 2, 12]), NeuronTest.blob([1, 2], [1, 1])]
        let top = try LayerTest.setUp(layer, bottom: bottom, tops: 2)
        try layer.forward(bottom: bottom, top: top)
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 2))
        XCTAssertTrue(layer.allowsForceBackward(bottomIndex: 1))
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true, true, true], bottom: bottom) }
        XCTAssertTrue(e?.message.contains("sequence continuation") ?? false, "\(String(describing: e))")
    }

    func testShapeErrors() throws {
        let layer = try LayerTest.make(#"name: "unit" type: "LSTMUnit""#)
        let wrongGates = TestSupport.error {
            _ = try LayerTest.setUp(layer, bottom: [Blob(1, 2, 3), Blob(1, 2, 6), Blob(1, 2)], tops: 2)
        }
        XCTAssertTrue(wrongGates?.message.contains("must be 1 × 2 × 12") ?? false, "\(String(describing: wrongGates))")
        XCTAssertEqual(wrongGates?.layer, "unit")
        let wrongCont = TestSupport.error {
            _ = try LayerTest.setUp(layer, bottom: [Blob(1, 2, 3), Blob(1, 2, 12), Blob(2, 1)], tops: 2)
        }
        XCTAssertTrue(wrongCont?.message.contains("continuation flags") ?? false)
        let twoSteps = TestSupport.error {
            _ = try LayerTest.setUp(layer, bottom: [Blob(2, 2, 3), Blob(1, 2, 12), Blob(1, 2)], tops: 2)
        }
        XCTAssertTrue(twoSteps?.message.contains("1 × N × H") ?? false)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(1, 2, 3), Blob(1, 2, 12)], tops: 2) }?
                        .field, "bottom")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "LSTMUnit""#)
        let bottom = [LayerTest.blob([1, 4, 8]), LayerTest.blob([1, 4, 32]), NeuronTest.blob([1, 4], [1, 0, 1, 1])]
        try StructureFixtures.assertNoAllocations(layer, bottom: bottom, top: try LayerTest.setUp(layer, bottom: bottom, tops: 2),
                                                  propagateDown: [true, true, false])
    }
}
