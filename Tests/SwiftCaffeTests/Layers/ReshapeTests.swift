import CaffeProto
import XCTest
@testable import SwiftCaffe

final class ReshapeTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Reshape" reshape_param { shape { dim: -1 } }"#)
        let x = LayerTest.blob([2, 3, 4])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
    }

    func shape(_ param: String, _ input: [Int]) throws -> [Int] {
        let layer = try LayerTest.make(#"type: "Reshape" reshape_param { "# + param + " }")
        return try LayerTest.setUp(layer, bottom: [try Blob(shape: input)])[0].shape
    }

    func testShapes() throws {
        XCTAssertEqual(try shape("shape { dim: 0 dim: -1 }", [2, 3, 4]), [2, 12])
        XCTAssertEqual(try shape("shape { dim: 4 dim: 6 }", [2, 3, 4]), [4, 6])
        XCTAssertEqual(try shape("shape { dim: 2 dim: 2 } axis: 2", [3, 5, 4]), [3, 5, 2, 2])
        XCTAssertEqual(try shape("shape { dim: 1 } axis: 1 num_axes: 0", [3, 5]), [3, 1, 5])
        XCTAssertEqual(try shape("shape { dim: -1 } axis: -3", [3, 5, 4]), [3, 20])
        XCTAssertEqual(try shape("shape { dim: 1 dim: 1 } axis: -1", [3, 5]), [3, 5, 1, 1])
    }

    func testValuesAndGradient() throws {
        let layer = try LayerTest.make(#"type: "Reshape" reshape_param { shape { dim: -1 dim: 3 } }"#)
        let x = LayerTest.blob([2, 3, 1, 3])
        let top = try LayerTest.setUp(layer, bottom: [x])
        XCTAssertEqual(top[0].shape, [6, 3])
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top[0].dataArray, x.dataArray)
        try GradientChecker().check(layer, bottom: [x], top: top)
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error { _ = try shape("shape { dim: -1 dim: -1 }", [2, 3]) }?.field,
                       "reshape_param.shape")
        XCTAssertNotNil(TestSupport.error { _ = try shape("shape { dim: 5 }", [2, 3]) })
        XCTAssertNotNil(TestSupport.error { _ = try shape("shape { dim: -1 dim: 4 }", [2, 3]) })
        XCTAssertEqual(TestSupport.error { _ = try shape("shape { dim: 6 } axis: 3", [2, 3]) }?.field,
                       "reshape_param.axis")
    }
}
