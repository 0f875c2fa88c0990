import CaffeProto
import XCTest
@testable import SwiftCaffe

final class ConcatTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Concat""#)
        let x = [LayerTest.blob([2, 3, 4]), LayerTest.blob([2, 1, 4])]
        try StructureFixtures.assertNoAllocations(layer, bottom: x, top: try LayerTest.setUp(layer, bottom: x))
    }

    func testForwardAlongChannels() throws {
        let layer = try LayerTest.make(#"type: "Concat""#)
        let a = Blob(2, 1, 2), b = Blob(2, 2, 2)
        a.setData([1, 2, 3, 4])
        b.setData([10, 11, 12, 13, 20, 21, 22, 23])
        let top = try LayerTest.setUp(layer, bottom: [a, b])
        XCTAssertEqual(top[0].shape, [2, 3, 2])
        try layer.forward(bottom: [a, b], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23])

        top[0].setDiff((0..<12).map { Float($0) })
        try layer.backward(top: top, propagateDown: [true, true], bottom: [a, b])
        XCTAssertEqual(a.diffArray, [0, 1, 6, 7])
        XCTAssertEqual(b.diffArray, [2, 3, 4, 5, 8, 9, 10, 11])
    }

    func testForwardAlongAxis0AndLegacyConcatDim() throws {
        for text in [#"type: "Concat" concat_param { axis: 0 }"#, #"type: "Concat" concat_param { concat_dim: 0 }"#] {
            let layer = try LayerTest.make(text)
            let a = Blob(1, 2), b = Blob(2, 2)
            a.setData([1, 2])
            b.setData([3, 4, 5, 6])
            let top = try LayerTest.setUp(layer, bottom: [a, b])
            XCTAssertEqual(top[0].shape, [3, 2])
            try layer.forward(bottom: [a, b], top: top)
            XCTAssertEqual(top[0].dataArray, [1, 2, 3, 4, 5, 6])
        }
    }

    func testGradientOnAxes0To2() throws {
        let shapes: [Int: [[Int]]] = [
            0: [[1, 3, 2, 3], [2, 3, 2, 3]],
            1: [[2, 1, 3, 3], [2, 3, 3, 3]],
            2: [[2, 2, 3, 3], [2, 2, 1, 3]],
        ]
        for (axis, pair) in shapes {
            let layer = try LayerTest.make(#"type: "Concat" concat_param { axis: \#(axis) }"#)
            let bottoms = [LayerTest.blob(pair[0], seed: 1), LayerTest.blob(pair[1], seed: 2), LayerTest.blob(pair[0], seed: 3)]
            let top = try LayerTest.setUp(layer, bottom: bottoms)
            XCTAssertEqual(top[0].dim(axis), 2 * pair[0][axis] + pair[1][axis])
            try GradientChecker().check(layer, bottom: bottoms, top: top)
        }
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Concat" concat_param { axis: 1 concat_dim: 1 }"#)
        }?.field, "concat_param.concat_dim")
        let layer = try LayerTest.make(#"type: "Concat""#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3, 4), Blob(2, 3, 5)]) }
        XCTAssertTrue(e?.message.contains("must match") ?? false)
        let axis = try LayerTest.make(#"type: "Concat" concat_param { axis: 3 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(axis, bottom: [Blob(2, 3), Blob(2, 3)]) }?.field,
                       "concat_param.axis")
    }
}
