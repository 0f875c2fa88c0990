import CaffeProto
import XCTest
@testable import SwiftCaffe

final class InputTests: XCTestCase {
    func testShapesAndValuesLeftAlone() throws {
        let layer = try LayerTest.make(#"type: "Input" top: "a" top: "b" input_param { shape { dim: 2 dim: 3 } shape { dim: 4 } }"#)
        let top = try LayerTest.setUp(layer, bottom: [], tops: 2)
        XCTAssertEqual(top.map(\.shape), [[2, 3], [4]])
        top[1].setData([1, 2, 3, 4])
        try layer.forward(bottom: [], top: top)
        XCTAssertEqual(top[1].dataArray, [1, 2, 3, 4])
    }

    func testErrors() throws {
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Input" top: "a" top: "b" top: "c" input_param { shape { dim: 1 } shape { dim: 2 } }"#)
        }?.field, "input_param.shape")
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Input" top: "a" input_param { shape { dim: -2 } }"#)
        }?.field, "input_param.shape")
    }
}
