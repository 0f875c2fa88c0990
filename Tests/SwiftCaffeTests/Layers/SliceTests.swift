import CaffeProto
import XCTest
@testable import SwiftCaffe

final class SliceTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Slice" top: "a" top: "b" slice_param { slice_point: 1 }"#)
        let x = LayerTest.blob([2, 3, 4])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x], tops: 2))
    }

    func testForwardWithSlicePoints() throws {
        let layer = try LayerTest.make(#"type: "Slice" top: "a" top: "b" slice_param { slice_point: 1 }"#)
        let x = Blob(2, 3, 2)
        x.setData([1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23])
        let top = try LayerTest.setUp(layer, bottom: [x], tops: 2)
        XCTAssertEqual(top[0].shape, [2, 1, 2])
        XCTAssertEqual(top[1].shape, [2, 2, 2])
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 2, 3, 4])
        XCTAssertEqual(top[1].dataArray, [10, 11, 12, 13, 20, 21, 22, 23])

        top[0].setDiff([0, 1, 6, 7])
        top[1].setDiff([2, 3, 4, 5, 8, 9, 10, 11])
        try layer.backward(top: top, propagateDown: [true], bottom: [x])
        XCTAssertEqual(x.diffArray, (0..<12).map { Float($0) })
    }

    func testEqualPartsAndLegacySliceDim() throws {
        let layer = try LayerTest.make(#"type: "Slice" top: "a" top: "b" top: "c" slice_param { slice_dim: 0 }"#)
        let x = Blob(3, 2)
        x.setData([1, 2, 3, 4, 5, 6])
        let top = try LayerTest.setUp(layer, bottom: [x], tops: 3)
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top.map(\.shape), [[1, 2], [1, 2], [1, 2]])
        XCTAssertEqual(top.map(\.dataArray), [[1, 2], [3, 4], [5, 6]])
    }

    func testGradientOnAxes0To2() throws {
        for axis in 0...2 {
            let layer = try LayerTest.make(
                #"type: "Slice" top: "a" top: "b" top: "c" slice_param { axis: \#(axis) slice_point: 1 slice_point: 3 }"#)
            var shape = [2, 2, 2, 3]
            shape[axis] = 5
            let x = LayerTest.blob(shape, seed: UInt64(axis + 1))
            let top = try LayerTest.setUp(layer, bottom: [x], tops: 3)
            XCTAssertEqual(top.map { $0.dim(axis) }, [1, 2, 2])
            try GradientChecker().check(layer, bottom: [x], top: top)
        }
    }

    func testErrors() throws {
        let notIncreasing = TestSupport.error {
            _ = try LayerTest.make(#"type: "Slice" top: "a" top: "b" top: "c" slice_param { slice_point: 3 slice_point: 2 }"#)
        }
        XCTAssertEqual(notIncreasing?.field, "slice_param.slice_point")
        XCTAssertTrue(notIncreasing?.message.contains("increasing") ?? false)
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Slice" top: "a" top: "b" slice_param { slice_point: 0 }"#)
        }?.field, "slice_param.slice_point")
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Slice" top: "a" top: "b" slice_param { slice_point: 1 slice_point: 2 }"#)
        }?.field, "slice_param.slice_point")
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Slice" top: "a" top: "b" slice_param { axis: 1 slice_dim: 1 }"#)
        }?.field, "slice_param.slice_dim")

        let outOfRange = try LayerTest.make(#"type: "Slice" top: "a" top: "b" slice_param { slice_point: 3 }"#)
        let e = TestSupport.error { _ = try LayerTest.setUp(outOfRange, bottom: [Blob(2, 3)], tops: 2) }
        XCTAssertEqual(e?.field, "slice_param.slice_point")
        XCTAssertTrue(e?.message.contains("out of range") ?? false)

        let unequal = try LayerTest.make(#"type: "Slice" top: "a" top: "b""#)
        let u = TestSupport.error { _ = try LayerTest.setUp(unequal, bottom: [Blob(2, 3)], tops: 2) }
        XCTAssertTrue(u?.message.contains("equal parts") ?? false)
    }
}
