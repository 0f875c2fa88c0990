import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// MemoryData: examples handed over from Swift, batch by batch, wrapping around.
final class MemoryDataTests: XCTestCase {
    private func net(batch: Int = 2, shape: (Int, Int, Int) = (1, 1, 2), transform: String = "",
                     phase: String = "TEST") throws -> (Net, MemoryDataLayer) {
        let net = try TestSupport.buildNet("""
            state { phase: \(phase) }
            layer { name: "data" type: "MemoryData" top: "data" top: "label"
                    transform_param { \(transform) }
                    memory_data_param { batch_size: \(batch) channels: \(shape.0) height: \(shape.1) width: \(shape.2) } }
            """)
        return (net, try XCTUnwrap(net.layer(named: "data") as? MemoryDataLayer))
    }

    func testBatchesInOrderAndWrapAround() throws {
        let (net, layer) = try net()
        XCTAssertEqual(net.blob(named: "data")?.shape, [2, 1, 1, 2])
        // Four examples of two values: example i is (10i, 10i + 1), label i.
        try layer.reset(data: [0, 1, 10, 11, 20, 21, 30, 31], labels: [0, 1, 2, 3])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "data")?.dataArray, [0, 1, 10, 11])
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [0, 1])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "data")?.dataArray, [20, 21, 30, 31])
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [2, 3])
        _ = try net.forward()  // wraps to the start
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [0, 1])
        // A new reset starts from its first example.
        try layer.reset(data: [5, 6, 7, 8], labels: [9, 9])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "data")?.dataArray, [5, 6, 7, 8])
    }

    func testDatumsGoThroughTheTransform() throws {
        // 1 × 2 × 2 images cropped to their centre 1 × 1 × 1 (TEST), scaled by 1/2.
        let (net, layer) = try net(batch: 2, shape: (1, 1, 1), transform: "crop_size: 1 scale: 0.5 mean_value: 2")
        let datums = [[4, 6, 8, 10], [20, 22, 24, 26]].enumerated().map { i, pixels -> Caffe_Datum in
            var d = Caffe_Datum()
            (d.channels, d.height, d.width, d.label) = (1, 2, 2, Int32(i + 5))
            d.data = Data(pixels.map(UInt8.init))
            return d
        }
        try layer.add(datums: datums)
        _ = try net.forward()
        // Centre crop of a 2 × 2 image at offset (0, 0): the first pixel; (p − 2) · 0.5.
        XCTAssertEqual(net.blob(named: "data")?.dataArray, [1, 9])
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [5, 6])
    }

    func testErrors() throws {
        let (net, layer) = try net()
        let empty = TestSupport.error { _ = try net.forward() }
        XCTAssertEqual(empty?.layer, "data")
        XCTAssertTrue(empty?.hint?.contains("reset(data:labels:)") ?? false)
        let ragged = TestSupport.error { try layer.reset(data: [1, 2, 3], labels: [0, 1]) }
        XCTAssertTrue(ragged?.message.contains("3 data values for 2 labels") ?? false, "\(String(describing: ragged))")
        let partial = TestSupport.error { try layer.reset(data: [1, 2, 3, 4, 5, 6], labels: [0, 1, 2]) }
        XCTAssertEqual(partial?.field, "memory_data_param.batch_size")
        var wrongSize = Caffe_Datum()
        (wrongSize.channels, wrongSize.height, wrongSize.width) = (1, 3, 3)
        wrongSize.data = Data(repeating: 0, count: 9)
        let datum = TestSupport.error { try layer.add(datums: [wrongSize, wrongSize]) }
        XCTAssertTrue(datum?.message.contains("datum 0 is 1x3x3") ?? false, "\(String(describing: datum))")
        let zero = TestSupport.error {
            _ = try TestSupport.buildNet("""
                layer { name: "data" type: "MemoryData" top: "data" top: "label"
                        memory_data_param { batch_size: 2 channels: 0 height: 1 width: 1 } }
                """)
        }
        XCTAssertEqual(zero?.field, "memory_data_param.channels")
    }
}
