import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// The Data layer on real LMDB databases: order, looping, labels, prefetching,
/// exact repositioning, encoded records and bad data.
final class DataTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    /// Writes `count` 1 × 2 × 3 records: record i has pixels 10i + j and label i % 7.
    private func writeDatabase(_ name: String = "db", count: Int = 5,
                               shape: (Int, Int, Int) = (1, 2, 3), datum: ((Int) -> Caffe_Datum)? = nil) throws -> String {
        let path = directory.appendingPathComponent(name).path
        let db = try LMDBDatabase(path: path, mode: .create)
        for i in 0..<count {
            var d = Caffe_Datum()
            if let datum {
                d = datum(i)
            } else {
                (d.channels, d.height, d.width) = (Int32(shape.0), Int32(shape.1), Int32(shape.2))
                d.data = Data((0..<(shape.0 * shape.1 * shape.2)).map { UInt8((10 * i + $0) % 256) })
                d.label = Int32(i % 7)
            }
            try db.put(key: String(format: "%08d", i), value: try d.serializedData())
        }
        try db.commit()
        try db.close()
        return path
    }

    private func net(source: String, batch: Int = 2, transform: String = "", phase: String = "TEST",
                     extra: String = "") throws -> Net {
        try TestSupport.buildNet("""
            state { phase: \(phase) }
            layer { name: "data" type: "Data" top: "data" top: "label"
                    transform_param { \(transform) }
                    data_param { source: "\(source)" batch_size: \(batch) backend: LMDB \(extra) } }
            """)
    }

    private func batch(_ net: Net) throws -> (data: [Float], labels: [Float]) {
        _ = try net.forward()
        return (net.blob(named: "data")!.dataArray, net.blob(named: "label")!.dataArray)
    }

    func testBatchesFollowKeyOrderAndLoop() throws {
        let net = try net(source: try writeDatabase())
        XCTAssertEqual(net.blob(named: "data")?.shape, [2, 1, 2, 3])
        XCTAssertEqual(net.blob(named: "label")?.shape, [2])
        var first = try batch(net)
        XCTAssertEqual(first.data, [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])
        XCTAssertEqual(first.labels, [0, 1])
        XCTAssertEqual(try batch(net).labels, [2, 3])
        first = try batch(net)  // record 4, then record 0 again
        XCTAssertEqual(first.labels, [4, 0])
        XCTAssertEqual(Array(first.data[6...]), [0, 1, 2, 3, 4, 5])
    }

    func testTransformIsApplied() throws {
        let net = try net(source: try writeDatabase(), batch: 1, transform: "scale: 0.5 mean_value: 1 crop_size: 2")
        XCTAssertEqual(net.blob(named: "data")?.shape, [1, 1, 2, 2])
        // Center crop of 2 × 3: offset (0, 0); (x − 1) · 0.5.
        XCTAssertEqual(try batch(net).data, [-0.5, 0, 1, 1.5])
    }

    func testSeekingReproducesTheSameBatchesWithRandomCropsAndMirrors() throws {
        let source = try writeDatabase(count: 7, shape: (2, 5, 6))
        let transform = "crop_size: 3 mirror: true"
        let a = try net(source: source, batch: 3, transform: transform, phase: "TRAIN")
        var batches: [[Float]] = []
        for _ in 0..<5 { batches.append(try batch(a).data) }
        XCTAssertNotEqual(batches[0], batches[3], "crops differ between epochs")

        let b = try net(source: source, batch: 3, transform: transform, phase: "TRAIN")
        let reader = try XCTUnwrap(b.layers.first as? DataLayer)
        try reader.seek(toExample: 6)
        XCTAssertEqual(try batch(b).data, batches[2])
        XCTAssertEqual(try batch(b).data, batches[3])
        XCTAssertEqual(reader.examplesConsumed, 12)
        // Seeking back after batches were prefetched also works.
        try reader.seek(toExample: 3)
        XCTAssertEqual(try batch(b).data, batches[1])
    }

    func testRandSkipStartsInsideTheDatabase() throws {
        let net = try net(source: try writeDatabase(count: 5), batch: 1, extra: "rand_skip: 5")
        let label = try batch(net).labels[0]
        XCTAssertTrue((0...4).contains(Int(label)))
    }

    func testFloatDataAndEncodedRecords() throws {
        let floats = try writeDatabase("floats", count: 2) { i in
            var d = Caffe_Datum()
            (d.channels, d.height, d.width) = (1, 1, 2)
            d.floatData = [Float(i) + 0.25, -1]
            d.label = 3
            return d
        }
        XCTAssertEqual(try batch(try net(source: floats)).data, [0.25, -1, 1.25, -1])

        let image = Image8(channels: 3, height: 2, width: 2, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        let png = try ImageCodec.encode(image, format: .png)
        let encoded = try writeDatabase("encoded", count: 1) { _ in
            var d = Caffe_Datum()
            d.encoded = true
            d.data = Data(png)
            d.label = 5
            return d
        }
        let net = try net(source: encoded, batch: 1)
        XCTAssertEqual(net.blob(named: "data")?.shape, [1, 3, 2, 2])
        XCTAssertEqual(try batch(net).data, image.pixels.map { Float($0) })
        // force_gray decodes the same record to one channel.
        XCTAssertEqual(try self.net(source: encoded, batch: 1, transform: "force_gray: true")
            .blob(named: "data")?.shape, [1, 1, 2, 2])
    }

    func testRecordOfAnotherSizeNamesTheRecord() throws {
        let source = try writeDatabase(count: 3) { i in
            var d = Caffe_Datum()
            let side = i == 2 ? 3 : 2
            (d.channels, d.height, d.width) = (1, Int32(side), Int32(side))
            d.data = Data(repeating: 7, count: side * side)
            return d
        }
        let net = try net(source: source, batch: 3)
        let error = TestSupport.error { _ = try net.forward() }
        XCTAssertTrue(error?.message.contains("record '00000002' of '\(source)' is 1x3x3") ?? false, "\(String(describing: error))")
        XCTAssertEqual(error?.layer, "data")
        // The error stays: the next forward reports it again instead of hanging.
        XCTAssertNotNil(TestSupport.error { _ = try net.forward() })
    }

    func testTruncatedRecordAndCropLargerThanTheImage() throws {
        let source = try writeDatabase(count: 2) { i in
            var d = Caffe_Datum()
            (d.channels, d.height, d.width) = (1, 2, 2)
            d.data = Data(repeating: 1, count: i == 1 ? 3 : 4)
            return d
        }
        let error = TestSupport.error { _ = try self.net(source: source, batch: 2).forward() }
        XCTAssertTrue(error?.message.contains("record '00000001' of '\(source)' has 3 bytes of data") ?? false,
                      "\(String(describing: error))")
        let crop = TestSupport.error { _ = try self.net(source: source, transform: "crop_size: 5") }
        XCTAssertEqual(crop?.field, "transform_param.crop_size")
        XCTAssertEqual(crop?.layer, "data")
    }

    func testMissingOrNonLMDBSource() throws {
        let missing = directory.appendingPathComponent("nothing_here").path
        XCTAssertTrue(TestSupport.error { _ = try self.net(source: missing) }?.message.contains("does not exist") ?? false)
        let file = directory.appendingPathComponent("file.txt")
        try Data("hello".utf8).write(to: file)
        XCTAssertTrue(TestSupport.error { _ = try self.net(source: file.path) }?.message
            .contains("is not an LMDB database") ?? false)
        // Only described (summary): the shape is assumed from crop_size, with a note.
        var options = NetBuildOptions()
        options.inspectOnly = true
        let described = try TestSupport.buildNet("""
            layer { name: "data" type: "Data" top: "data" transform_param { crop_size: 4 }
                    data_param { source: "\(missing)" batch_size: 2 } }
            """, options: options)
        XCTAssertEqual(described.blob(named: "data")?.shape, [2, 3, 4, 4])
    }
}
