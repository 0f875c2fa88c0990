import CaffeProto
import XCTest
@testable import SwiftCaffe

final class EmbedTests: XCTestCase {
    /// input_dim 3, num_output 2: weights rows (1, 2), (3, 4), (5, 6), bias (10, 20);
    /// indices 2 × 2: (2, 0), (1, 2).
    func setUpTable(_ options: String = "") throws -> (Layer, Blob, Blob) {
        let layer = try LayerTest.make(#"type: "Embed" embed_param { num_output: 2 input_dim: 3 "# + options + "}")
        let indices = NeuronTest.blob([2, 2], [2, 0, 1, 2])
        let top = try LayerTest.setUp(layer, bottom: [indices])
        layer.blobs[0].setData([1, 2, 3, 4, 5, 6])
        if layer.blobs.count > 1 { layer.blobs[1].setData([10, 20]) }
        try layer.forward(bottom: [indices], top: top)
        return (layer, indices, top[0])
    }

    func testLookupWithBias() throws {
        let (layer, _, top) = try setUpTable()
        XCTAssertEqual(layer.blobs.map(\.shape), [[3, 2], [2]])
        XCTAssertEqual(top.shape, [2, 2, 2])
        XCTAssertEqual(top.dataArray, [15, 26, 11, 22, 13, 24, 15, 26])
    }

    func testLookupWithoutBias() throws {
        let (layer, _, top) = try setUpTable("bias_term: false")
        XCTAssertEqual(layer.blobs.count, 1)
        XCTAssertEqual(top.dataArray, [5, 6, 1, 2, 3, 4, 5, 6])
    }

    func testBackwardAccumulatesRowsAndBias() throws {
        let (layer, indices, top) = try setUpTable()
        top.setDiff([1, 2, 3, 4, 5, 6, 7, 8])
        for p in layer.blobs { p.fillDiff(0) }
        try layer.backward(top: [top], propagateDown: [false], bottom: [indices])
        // Row 0 gets position 1, row 1 position 2, row 2 positions 0 and 3.
        XCTAssertEqual(layer.blobs[0].diffArray, [3, 4, 5, 6, 1 + 7, 2 + 8])
        XCTAssertEqual(layer.blobs[1].diffArray, [16, 20])
        // Parameter diffs accumulate.
        try layer.backward(top: [top], propagateDown: [false], bottom: [indices])
        XCTAssertEqual(layer.blobs[1].diffArray, [32, 40])
    }

    func testGradientOfTheParameters() throws {
        let layer = try LayerTest.make(#"""
            type: "Embed" embed_param { num_output: 3 input_dim: 4
              weight_filler { type: "uniform" min: -1 max: 1 } bias_filler { type: "uniform" min: -1 max: 1 } }
            """#)
        let indices = NeuronTest.blob([5], [3, 0, 3, 1, 2])
        let top = try LayerTest.setUp(layer, bottom: [indices])
        XCTAssertEqual(top[0].shape, [5, 3])
        try GradientChecker().check(layer, bottom: [indices], top: top, bottomsToCheck: [])
    }

    func testFillers() throws {
        let layer = try LayerTest.make(#"""
            type: "Embed" embed_param { num_output: 2 input_dim: 2
              weight_filler { type: "constant" value: 0.5 } bias_filler { type: "constant" value: -1 } }
            """#)
        _ = try LayerTest.setUp(layer, bottom: [Blob(1)])
        XCTAssertEqual(layer.blobs[0].dataArray, [0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(layer.blobs[1].dataArray, [-1, -1])
    }

    func testParameterErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "Embed" embed_param { input_dim: 3 }"#)?.field, "embed_param.num_output")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Embed" embed_param { num_output: 3 }"#)?.field, "embed_param.input_dim")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Embed" embed_param { num_output: 2 input_dim: 3 weight_filler { type: "nope" } }"#)?
                        .field, "embed_param.weight_filler.type")
    }

    func testIndicesMustBeWholeNumbersInRange() throws {
        let layer = try LayerTest.make(#"type: "Embed" embed_param { num_output: 2 input_dim: 3 }"#)
        for (value, text) in [(Float(3), "index 3.0 at position 1"), (-1, "index -1.0 at position 1"),
                              (1.5, "index 1.5 at position 1")] {
            let indices = NeuronTest.blob([2], [0, value])
            let top = try LayerTest.setUp(layer, bottom: [indices])
            let e = TestSupport.error { try layer.forward(bottom: [indices], top: top) }
            XCTAssertTrue(e?.message.contains(text) ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.message.contains("0..<3") ?? false)
        }
    }

    func testNoGradientToTheIndices() throws {
        let (layer, indices, top) = try setUpTable()
        let e = TestSupport.error { try layer.backward(top: [top], propagateDown: [true], bottom: [indices]) }
        XCTAssertTrue(e?.message.contains("cannot backpropagate to its index input") ?? false)
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2), Blob(2)]) }?.field, "bottom")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Embed" embed_param { num_output: 4 input_dim: 5 }"#)
        let indices = NeuronTest.blob([2, 3], [0, 4, 2, 2, 1, 3])
        try StructureFixtures.assertNoAllocations(layer, bottom: [indices], top: try LayerTest.setUp(layer, bottom: [indices]),
                                                  propagateDown: [false])
    }
}
