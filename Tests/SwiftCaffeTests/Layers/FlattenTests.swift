import CaffeProto
import XCTest
@testable import SwiftCaffe

final class FlattenTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Flatten""#)
        let x = LayerTest.blob([2, 3, 4])
        try StructureFixtures.assertNoAllocations(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
    }

    func testShapesAndValues() throws {
        let layer = try LayerTest.make(#"type: "Flatten""#)
        let x = LayerTest.blob([2, 3, 2, 2])
        let top = try LayerTest.setUp(layer, bottom: [x])
        XCTAssertEqual(top[0].shape, [2, 12])
        try layer.forward(bottom: [x], top: top)
        XCTAssertEqual(top[0].dataArray, x.dataArray)
        top[0].setDiff((0..<24).map { Float($0) })
        try layer.backward(top: top, propagateDown: [true], bottom: [x])
        XCTAssertEqual(x.diffArray, (0..<24).map { Float($0) })

        let middle = try LayerTest.make(#"type: "Flatten" flatten_param { axis: 1 end_axis: 2 }"#)
        XCTAssertEqual(try LayerTest.setUp(middle, bottom: [x])[0].shape, [2, 6, 2])
        let all = try LayerTest.make(#"type: "Flatten" flatten_param { axis: 0 }"#)
        XCTAssertEqual(try LayerTest.setUp(all, bottom: [x])[0].shape, [24])
    }

    func testGradient() throws {
        let layer = try LayerTest.make(#"type: "Flatten""#)
        let x = LayerTest.blob([2, 3, 1, 5])
        try GradientChecker().check(layer, bottom: [x], top: try LayerTest.setUp(layer, bottom: [x]))
    }

    func testErrors() throws {
        let backwards = try LayerTest.make(#"type: "Flatten" flatten_param { axis: 2 end_axis: 1 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(backwards, bottom: [Blob(2, 3, 4)]) }?.field,
                       "flatten_param.end_axis")
        let layer = try LayerTest.make(#"type: "Flatten""#)
        let x = Blob(2, 3)
        XCTAssertNotNil(TestSupport.error { try layer.reshape(bottom: [x], top: [x]) })
    }
}
