import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Data layers sharded for data-parallel training (no MPI needed: the shards are
/// built side by side in one process): N shards of batch B together read, batch after
/// batch, exactly the examples one layer of batch N·B reads, with the same crops and flips.
final class DataShardTests: XCTestCase {
    private func net(source: String, batch: Int) -> String {
        """
        name: "shard"
        layer { name: "data" type: "Data" top: "data" top: "label"
          transform_param { crop_size: 3 mirror: true }
          data_param { source: "\(source)" batch_size: \(batch) backend: LMDB rand_skip: 5 } }
        """
    }

    private func database(_ directory: URL, count: Int) throws -> String {
        let path = directory.appendingPathComponent("lmdb").path
        let db = try LMDBDatabase(path: path, mode: .create)
        let random = RandomSource(seed: 2)
        for i in 0..<count {
            var datum = Caffe_Datum()
            (datum.channels, datum.height, datum.width) = (1, 4, 4)
            datum.data = Data((0..<16).map { _ in UInt8(random.nextInt(below: 256)) })
            datum.label = Int32(i)
            try db.put(key: String(format: "%08d", i), value: try datum.serializedData())
        }
        try db.commit()
        try db.close()
        return path
    }

    private func build(_ text: String, shard: DataShard) throws -> Net {
        var options = NetBuildOptions()
        options.random = RandomSource(seed: 9)
        options.dataShard = shard
        return try TestSupport.buildNet(text, options: options)
    }

    func testShardsTogetherReadTheGlobalBatch() throws {
        let source = try database(try TestSupport.temporaryDirectory(self), count: 17)
        for ranks in [2, 3] {
            let whole = try build(net(source: source, batch: 4 * ranks), shard: .whole)
            let shards = try (0..<ranks).map { try build(net(source: source, batch: 4), shard: DataShard(rank: $0, count: ranks)) }
            for iteration in 0..<5 {  // past the end of the 17 records: epochs wrap the same way
                _ = try whole.forward()
                var data: [Float] = [], labels: [Float] = []
                for shard in shards {
                    _ = try shard.forward()
                    data += try XCTUnwrap(shard.blob(named: "data")).dataArray
                    labels += try XCTUnwrap(shard.blob(named: "label")).dataArray
                }
                XCTAssertEqual(labels, try XCTUnwrap(whole.blob(named: "label")).dataArray, "\(ranks) ranks, iteration \(iteration)")
                XCTAssertEqual(data, try XCTUnwrap(whole.blob(named: "data")).dataArray, "\(ranks) ranks, iteration \(iteration)")
            }
            // Every rank counts the global position (what .solverstate's data_cursor records).
            for shard in shards {
                let source = try XCTUnwrap(shard.layers.first as? ResumableDataSource)
                XCTAssertEqual(source.examplesConsumed, Int64(5 * 4 * ranks))
                XCTAssertEqual(source.examplesPerBatch, 4 * ranks)
            }
        }
    }

    func testAShardResumesAtAGlobalPosition() throws {
        let source = try database(try TestSupport.temporaryDirectory(self), count: 17)
        let whole = try build(net(source: source, batch: 6), shard: .whole)
        let rank1 = try build(net(source: source, batch: 3), shard: DataShard(rank: 1, count: 2))
        try (whole.layers[0] as? ResumableDataSource)?.seek(toExample: 12)
        try (rank1.layers[0] as? ResumableDataSource)?.seek(toExample: 12)
        _ = try whole.forward()
        _ = try rank1.forward()
        XCTAssertEqual(try XCTUnwrap(rank1.blob(named: "label")).dataArray,
                       Array(try XCTUnwrap(whole.blob(named: "label")).dataArray[3...]))
    }

    func testShardArithmetic() {
        let shard = DataShard(rank: 2, count: 3)
        XCTAssertEqual(shard.globalBatch(8), 24)
        XCTAssertEqual(shard.localStart(ofGlobalBatchAt: 48, batchSize: 8), 64)
        XCTAssertEqual(DataShard(rank: 5, count: 2).rank, 1)
        XCTAssertEqual(DataShard(rank: 0, count: 0).count, 1)
        XCTAssertEqual(DataShard.whole.globalBatch(8), 8)
    }
}
