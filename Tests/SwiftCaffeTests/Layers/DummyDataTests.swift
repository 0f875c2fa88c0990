import CaffeProto
import XCTest
@testable import SwiftCaffe

final class DummyDataTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "DummyData" top: "a" dummy_data_param { shape { dim: 2 dim: 3 } data_filler { type: "gaussian" } }"#)
        try StructureFixtures.assertNoAllocations(layer, bottom: [], top: try LayerTest.setUp(layer, bottom: []))
    }

    func testConstantTopsAreFilledOnceAndRandomTopsEveryForward() throws {
        let layer = try LayerTest.make("""
            type: "DummyData" top: "noise" top: "ones"
            dummy_data_param {
              shape { dim: 2 dim: 3 } shape { dim: 4 }
              data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 }
            }
            """)
        let top = try LayerTest.setUp(layer, bottom: [], tops: 2)
        XCTAssertEqual(top.map(\.shape), [[2, 3], [4]])
        try layer.forward(bottom: [], top: top)
        let first = top[0].dataArray
        XCTAssertEqual(top[1].dataArray, [1, 1, 1, 1])
        XCTAssertNotEqual(first, [0, 0, 0, 0, 0, 0])
        // An in-place consumer may change a constant top; Caffe never refills it.
        top[1].setData([5, 5, 5, 5])
        try layer.forward(bottom: [], top: top)
        XCTAssertNotEqual(top[0].dataArray, first)
        XCTAssertEqual(top[1].dataArray, [5, 5, 5, 5])
    }

    func testNoFillerMeansZerosAndOneFillerServesAllTops() throws {
        let zeros = try LayerTest.make(#"type: "DummyData" top: "z" dummy_data_param { shape { dim: 3 } }"#)
        let z = try LayerTest.setUp(zeros, bottom: [])
        z[0].setData([9, 9, 9])
        try zeros.forward(bottom: [], top: z)
        XCTAssertEqual(z[0].dataArray, [0, 0, 0])

        let shared = try LayerTest.make("""
            type: "DummyData" top: "a" top: "b"
            dummy_data_param { shape { dim: 2 } data_filler { type: "constant" value: 7 } }
            """)
        let ab = try LayerTest.setUp(shared, bottom: [], tops: 2)
        try shared.forward(bottom: [], top: ab)
        XCTAssertEqual(ab.map(\.dataArray), [[7, 7], [7, 7]])

        let uniform = try LayerTest.make("""
            type: "DummyData" top: "a" top: "b"
            dummy_data_param { shape { dim: 50 } data_filler { type: "uniform" min: 2 max: 3 } }
            """)
        let u = try LayerTest.setUp(uniform, bottom: [], tops: 2)
        try uniform.forward(bottom: [], top: u)
        for t in u { XCTAssertTrue(t.dataArray.allSatisfy { $0 >= 2 && $0 <= 3 }) }
        XCTAssertNotEqual(u[0].dataArray, u[1].dataArray)
    }

    func testLegacyShapeForm() throws {
        let layer = try LayerTest.make("""
            type: "DummyData" top: "data" top: "label"
            dummy_data_param { num: 5 channels: 3 channels: 1 height: 4 height: 1 width: 2 width: 1 }
            """)
        let top = try LayerTest.setUp(layer, bottom: [], tops: 2)
        XCTAssertEqual(top.map(\.shape), [[5, 3, 4, 2], [5, 1, 1, 1]])
    }

    func testErrors() throws {
        func field(_ text: String) -> String? {
            TestSupport.error { _ = try LayerTest.make(#"type: "DummyData" top: "a" top: "b" "# + text) }?.field
        }
        XCTAssertEqual(field(#"dummy_data_param { shape { dim: 1 } data_filler { type: "gausian" } }"#),
                       "dummy_data_param.data_filler.type")
        XCTAssertEqual(field("dummy_data_param { shape { dim: 1 } shape { dim: 2 } shape { dim: 3 } }"),
                       "dummy_data_param.shape")
        XCTAssertEqual(field(#"dummy_data_param { shape { dim: 1 } data_filler { } data_filler { } data_filler { } }"#),
                       "dummy_data_param.data_filler")
        XCTAssertEqual(field("dummy_data_param { num: 1 shape { dim: 1 } }"), "dummy_data_param.shape")
        XCTAssertEqual(field("dummy_data_param { num: 1 num: 2 num: 3 channels: 1 height: 1 width: 1 }"),
                       "dummy_data_param.num")
    }
}
