import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Resuming a run that reads an LMDB: the solverstate records how far the reader
/// got (data_cursor), and the resumed run sees exactly the batches the uninterrupted
/// run saw — with random crops and mirrors.
final class DataResumeTests: XCTestCase {
    private func writeDatabase(in directory: URL, count: Int = 13) throws -> String {
        let path = directory.appendingPathComponent("train_lmdb").path
        let db = try LMDBDatabase(path: path, mode: .create)
        let random = RandomSource(seed: 3)
        for i in 0..<count {
            var datum = Caffe_Datum()
            (datum.channels, datum.height, datum.width) = (1, 4, 5)
            datum.data = Data((0..<20).map { _ in UInt8(random.nextInt(below: 256)) })
            datum.label = Int32(i % 3)
            try db.put(key: String(format: "%08d", i), value: try datum.serializedData())
        }
        try db.commit()
        try db.close()
        return path
    }

    private func net(source: String) -> String {
        """
        name: "resume_data"
        layer { name: "data" type: "Data" top: "data" top: "label"
          transform_param { crop_size: 3 mirror: true scale: 0.00390625 }
          data_param { source: "\(source)" batch_size: 4 backend: LMDB } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """
    }

    private let solverText = """
        base_lr: 0.1 momentum: 0.9 lr_policy: "fixed" max_iter: 10 display: 0 snapshot_after_train: false random_seed: 5
        """

    func testResumedRunSeesTheSameBatches() throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let net = net(source: try writeDatabase(in: tmp))
        let straight = try SolverTests.makeSolver(net: net, solver: solverText, prefix: tmp.appendingPathComponent("a").path)
        try straight.step(10)

        let first = try SolverTests.makeSolver(net: net, solver: solverText, prefix: tmp.appendingPathComponent("b").path)
        try first.step(6)
        let (_, statePath) = try first.snapshot()
        let state = try Snapshot.readState(statePath)
        XCTAssertEqual(state.dataCursor, 24, "6 iterations of 4 examples")

        let resumed = try SolverTests.makeSolver(net: net, solver: solverText, prefix: tmp.appendingPathComponent("c").path)
        try resumed.restore(from: statePath)
        try resumed.step(4)
        for (a, b) in zip(straight.net.learnableParams, resumed.net.learnableParams) {
            XCTAssertEqual(a.dataArray, b.dataArray, "weights differ after resuming")
        }

        // Without the cursor (a state Caffe wrote), the position follows from iter.
        var caffeState = state
        caffeState.clearDataCursor()
        let fromCaffe = try SolverTests.makeSolver(net: net, solver: solverText, prefix: tmp.appendingPathComponent("d").path)
        try fromCaffe.restore(caffeState, path: statePath)
        try fromCaffe.step(4)
        for (a, b) in zip(straight.net.learnableParams, fromCaffe.net.learnableParams) {
            XCTAssertEqual(a.dataArray, b.dataArray, "weights differ after resuming without data_cursor")
        }

        // The check can fail: starting the data over (what Caffe does) gives other weights.
        let restarted = try SolverTests.makeSolver(net: net, solver: solverText, prefix: tmp.appendingPathComponent("e").path)
        try restarted.restore(from: statePath)
        try XCTUnwrap(restarted.net.layers.first as? DataLayer).seek(toExample: 0)
        try restarted.step(4)
        XCTAssertNotEqual(straight.net.learnableParams[0].dataArray, restarted.net.learnableParams[0].dataArray)
    }
}
