import CaffeProto
import XCTest
@testable import SwiftCaffe

final class ArgMaxTests: XCTestCase {
    /// Two examples of four values; example 0 has a tie (3 at indices 1 and 3).
    static let rows: [Float] = [1, 3, 2, 3,
                                5, -1, 0, 4]

    func run(_ text: String, shape: [Int] = [2, 4], values: [Float] = rows) throws -> Blob {
        let layer = try LayerTest.make(#"type: "ArgMax" "# + text)
        let bottom = NeuronTest.blob(shape, values)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        return top[0]
    }

    func testPerExampleTopOne() throws {
        let top = try run("")
        XCTAssertEqual(top.shape, [2, 1, 1])
        // Caffe's sort of (value, index) pairs, largest first: the tie goes to index 3.
        XCTAssertEqual(top.dataArray, [3, 0])
    }

    func testPerExampleTopTwo() throws {
        let top = try run("argmax_param { top_k: 2 }")
        XCTAssertEqual(top.shape, [2, 1, 2])
        XCTAssertEqual(top.dataArray, [3, 1, 0, 3])
    }

    func testPerExampleWithMaxValues() throws {
        let top = try run("argmax_param { top_k: 2 out_max_val: true }")
        XCTAssertEqual(top.shape, [2, 2, 2])
        // Per example: the indices, then their values.
        XCTAssertEqual(top.dataArray, [3, 1, 3, 3,
                                       0, 3, 5, 4])
    }

    func testPerExampleKeepsFourAxes() throws {
        // A 2 × 2 × 1 × 2 bottom: the example is all 4 values; the top keeps 4 axes.
        let top = try run("", shape: [2, 2, 1, 2])
        XCTAssertEqual(top.shape, [2, 1, 1, 1])
        XCTAssertEqual(top.dataArray, [3, 0])
    }

    /// x[n][c][i], N = 2, C = 3, inner 2:
    ///   n 0: c0 (1, 6), c1 (4, 2), c2 (3, 5);   n 1: c0 (0, 0), c1 (−1, 7), c2 (2, −3)
    static let cube: [Float] = [1, 6, 4, 2, 3, 5,
                                0, 0, -1, 7, 2, -3]

    func testAlongAxisOne() throws {
        let top = try run("argmax_param { axis: 1 }", shape: [2, 3, 2], values: Self.cube)
        XCTAssertEqual(top.shape, [2, 1, 2])
        XCTAssertEqual(top.dataArray, [1, 0, 2, 1])
        let values = try run("argmax_param { axis: 1 out_max_val: true }", shape: [2, 3, 2], values: Self.cube)
        XCTAssertEqual(values.shape, [2, 1, 2])
        XCTAssertEqual(values.dataArray, [4, 6, 2, 7])
    }

    func testAlongAxisOneTopTwo() throws {
        let top = try run("argmax_param { axis: 1 top_k: 2 }", shape: [2, 3, 2], values: Self.cube)
        XCTAssertEqual(top.shape, [2, 2, 2])
        // [n][k][i]: n 0 best (1, 0), second (2, 2); n 1 best (2, 1), second (0, 0).
        XCTAssertEqual(top.dataArray, [1, 0, 2, 2,
                                       2, 1, 0, 0])
    }

    func testAlongTheLastAxis() throws {
        let top = try run("argmax_param { axis: -1 }", shape: [2, 3, 2], values: Self.cube)
        XCTAssertEqual(top.shape, [2, 3, 1])
        // (0, 0) is a tie: the larger index, 1.
        XCTAssertEqual(top.dataArray, [1, 0, 1, 1, 1, 0])
    }

    func testParameterErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "ArgMax" argmax_param { top_k: 0 }"#)?.field, "argmax_param.top_k")
        func setUpError(_ text: String, _ shape: [Int]) -> SwiftCaffeError? {
            TestSupport.error { _ = try LayerTest.setUp(try LayerTest.make(#"type: "ArgMax" "# + text), bottom: [Blob(shape: shape)]) }
        }
        XCTAssertEqual(setUpError("argmax_param { top_k: 5 }", [2, 4])?.field, "argmax_param.top_k")
        XCTAssertEqual(setUpError("argmax_param { axis: 1 top_k: 4 }", [2, 3, 2])?.field, "argmax_param.top_k")
        XCTAssertEqual(setUpError("argmax_param { axis: 3 }", [2, 3, 2])?.field, "argmax_param.axis")
    }

    func testCountsAndNoBackward() throws {
        let layer = try LayerTest.make(#"type: "ArgMax""#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(2, 3)]) }?.field,
                       "bottom")
        let bottom = LayerTest.blob([2, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        try layer.backward(top: top, propagateDown: [false], bottom: [bottom])
        let e = TestSupport.error { try layer.backward(top: top, propagateDown: [true], bottom: [bottom]) }
        XCTAssertTrue(e?.message.contains("ArgMax has no backward pass") ?? false)
        XCTAssertFalse(layer.allowsForceBackward(bottomIndex: 0))
        XCTAssertNotNil(TestSupport.error { try LayerTest.setUp(layer, bottom: [bottom], top: [bottom]) })
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "ArgMax" argmax_param { top_k: 2 axis: 1 }"#)
        let bottom = LayerTest.blob([3, 4, 2])
        try StructureFixtures.assertNoAllocations(layer, bottom: [bottom], top: try LayerTest.setUp(layer, bottom: [bottom]),
                                                  propagateDown: [false])
    }
}
