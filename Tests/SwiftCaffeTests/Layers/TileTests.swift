import CaffeProto
import XCTest
@testable import SwiftCaffe

final class TileTests: XCTestCase {
    func forward(_ text: String, shape: [Int], _ values: [Float]) throws -> Blob {
        let layer = try LayerTest.make(#"type: "Tile" "# + text)
        let bottom = NeuronTest.blob(shape, values)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        return top[0]
    }

    func testForwardAlongAxes() throws {
        let rows: [Float] = [1, 2, 3, 4, 5, 6]
        let channels = try forward("tile_param { tiles: 2 }", shape: [2, 3], rows)
        XCTAssertEqual(channels.shape, [2, 6])
        XCTAssertEqual(channels.dataArray, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        let batch = try forward("tile_param { axis: 0 tiles: 3 }", shape: [2, 3], rows)
        XCTAssertEqual(batch.shape, [6, 3])
        XCTAssertEqual(batch.dataArray, rows + rows + rows)
        let last = try forward("tile_param { axis: -1 tiles: 2 }", shape: [2, 1, 2], [1, 2, 3, 4])
        XCTAssertEqual(last.shape, [2, 1, 4])
        XCTAssertEqual(last.dataArray, [1, 2, 1, 2, 3, 4, 3, 4])
    }

    func testBackwardSumsTheCopies() throws {
        let layer = try LayerTest.make(#"type: "Tile" tile_param { tiles: 3 }"#)
        let bottom = NeuronTest.blob([1, 2], [7, 8])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 2, 3, 4, 5, 6])
        bottom.fillDiff(100)
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [1 + 3 + 5, 2 + 4 + 6])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "Tile" tile_param { tiles: 3 }"#, shape: [2, 3, 2])
        try NeuronTest.check(#"type: "Tile" tile_param { axis: 2 tiles: 2 }"#, shape: [2, 3, 2])
        try NeuronTest.check(#"type: "Tile" tile_param { axis: 0 tiles: 2 }"#, shape: [2, 3])
    }

    func testParameterErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "Tile""#)?.field, "tile_param.tiles")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Tile" tile_param { tiles: 0 }"#)?.field, "tile_param.tiles")
        XCTAssertEqual(NeuronTest.makeError(#"type: "Tile" tile_param { tiles: -2 }"#)?.field, "tile_param.tiles")
        let layer = try LayerTest.make(#"type: "Tile" tile_param { axis: 2 tiles: 2 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3)]) }?.field, "tile_param.axis")
    }

    func testCountsAndNotInPlace() throws {
        let layer = try LayerTest.make(#"type: "Tile" tile_param { tiles: 2 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2), Blob(2)]) }?.field, "bottom")
        let bottom = Blob(2, 3)
        XCTAssertNotNil(TestSupport.error { try LayerTest.setUp(layer, bottom: [bottom], top: [bottom]) })
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Tile" tile_param { tiles: 3 }"#)
        let bottom = LayerTest.blob([3, 4, 2])
        try StructureFixtures.assertNoAllocations(layer, bottom: [bottom], top: try LayerTest.setUp(layer, bottom: [bottom]))
    }
}
