import CaffeProto
import XCTest
@testable import SwiftCaffe

final class ParameterTests: XCTestCase {
    static let text = #"type: "Parameter" parameter_param { shape { dim: 2 dim: 3 } }"#

    func testTopIsTheLearnableBlob() throws {
        let layer = try LayerTest.make(Self.text)
        let top = try LayerTest.setUp(layer, bottom: [])
        XCTAssertEqual(layer.blobs.map(\.shape), [[2, 3]])
        XCTAssertEqual(top[0].shape, [2, 3])
        // Not filled, as in Caffe: zeros until weights are loaded or learned.
        XCTAssertEqual(layer.blobs[0].dataArray, Array(repeating: 0, count: 6))
        layer.blobs[0].setData([1, 2, 3, 4, 5, 6])
        try layer.forward(bottom: [], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 2, 3, 4, 5, 6])
        top[0].setDiff([1, 0, -1, 2, 0, 3])
        layer.blobs[0].fillDiff(0)
        try layer.backward(top: top, propagateDown: [], bottom: [])
        XCTAssertEqual(layer.blobs[0].diffArray, [1, 0, -1, 2, 0, 3])
        // Parameter diffs accumulate.
        try layer.backward(top: top, propagateDown: [], bottom: [])
        XCTAssertEqual(layer.blobs[0].diffArray, [2, 0, -2, 4, 0, 6])
    }

    func testGradient() throws {
        let layer = try LayerTest.make(Self.text)
        let top = try LayerTest.setUp(layer, bottom: [])
        layer.blobs[0].setData([0.5, -1, 2, 0.25, 3, -0.75])
        try GradientChecker().check(layer, bottom: [], top: top)
    }

    func testLearnsInANet() throws {
        let net = try TestSupport.buildNet("""
            name: "parameter"
            layer { name: "target" type: "Input" top: "target" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "p" type: "Parameter" top: "p" parameter_param { shape { dim: 2 dim: 3 } } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "p" bottom: "target" top: "loss" }
            """)
        let p = try XCTUnwrap(net.layer(named: "p"))
        XCTAssertEqual(net.parameterCount, 6)
        p.blobs[0].setData([1, 2, 3, 4, 5, 6])
        try XCTUnwrap(net.blob(named: "target")).setData([1, 1, 1, 1, 1, 1])
        let loss = try net.forward()
        // Σ (p − t)² / (2 · 2) = (0 + 1 + 4 + 9 + 16 + 25) / 4
        XCTAssertEqual(loss, 55.0 / 4, accuracy: 1e-5)
        p.blobs[0].fillDiff(0)
        try net.backward()
        // (p − t) / 2
        XCTAssertEqual(p.blobs[0].diffArray, [0, 0.5, 1, 1.5, 2, 2.5])
    }

    func testErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "Parameter" parameter_param { shape { dim: 2 dim: -1 } }"#)?.field,
                       "parameter_param.shape")
        let layer = try LayerTest.make(Self.text)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2)]) }?.field, "bottom")
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [], tops: 2) }?.field, "top")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(Self.text)
        try StructureFixtures.assertNoAllocations(layer, bottom: [], top: try LayerTest.setUp(layer, bottom: []))
    }
}
