import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// The .caffemodel/.solverstate files the solver writes, read back as Caffe's messages.
final class SnapshotTests: XCTestCase {
    static let solverText = """
        type: "Adam" base_lr: 0.01 lr_policy: "fixed" max_iter: 3 snapshot_after_train: false random_seed: 3
        """

    func testWrittenFilesDecodeAsCaffeMessages() throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let prefix = tmp.appendingPathComponent("deep/er/snap").path   // directories created
        let solver = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: Self.solverText, prefix: prefix)
        try solver.step(2)
        let (modelPath, statePath) = try solver.snapshot()
        XCTAssertEqual(modelPath, prefix + "_iter_2.caffemodel")
        XCTAssertEqual(statePath, prefix + "_iter_2.solverstate")
        XCTAssertEqual(solver.log.lines.suffix(2), ["Snapshotting to binary proto file \(modelPath)",
                                                    "Snapshotting solver state to binary proto file \(statePath)"])

        let model = try Caffe_NetParameter(serializedBytes: Data(contentsOf: URL(fileURLWithPath: modelPath)))
        XCTAssertEqual(model.name, "resume")
        XCTAssertEqual(model.layer.map(\.name), ["data", "ip1", "drop", "ip2", "loss"])
        let ip1 = try XCTUnwrap(model.layer.first { $0.name == "ip1" })
        XCTAssertEqual(ip1.blobs.map(\.blobShape), [[8, 6], [8]])
        XCTAssertEqual(ip1.blobs[0].data, solver.net.layer(named: "ip1")!.blobs[0].dataArray)
        XCTAssertEqual(ip1.blobs[1].data, solver.net.layer(named: "ip1")!.blobs[1].dataArray)
        XCTAssertTrue(ip1.blobs[0].diff.isEmpty)
        XCTAssertEqual(model.layer.first { $0.name == "ip2" }?.blobs.map(\.blobShape), [[3, 8], [3]])

        let state = try Caffe_SolverState(serializedBytes: Data(contentsOf: URL(fileURLWithPath: statePath)))
        XCTAssertEqual(state.iter, 2)
        XCTAssertEqual(state.learnedNet, modelPath)
        // Adam: the m blobs of all parameters, then the v blobs.
        XCTAssertEqual(state.history.map(\.blobShape), [[8, 6], [8], [3, 8], [3], [8, 6], [8], [3, 8], [3]])
        for (proto, blob) in zip(state.history, solver.rule.history) { XCTAssertEqual(proto.data, blob.dataArray) }
        XCTAssertEqual(state.rngState.count, 48)
        XCTAssertEqual(Snapshot.decodeRandomState(state.rngState), solver.random.savedState)
        XCTAssertFalse(state.hasPlateauState)
    }

    func testMovedSnapshotResolvesLearnedNetBesideState() throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let solver = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: Self.solverText,
                                                prefix: tmp.appendingPathComponent("old/snap").path)
        try solver.step(1)
        try solver.snapshot()
        let moved = tmp.appendingPathComponent("moved")
        try FileManager.default.moveItem(at: tmp.appendingPathComponent("old"), to: moved)
        let resumed = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: Self.solverText,
                                                 prefix: tmp.appendingPathComponent("new/snap").path)
        try resumed.restore(from: moved.appendingPathComponent("snap_iter_1.solverstate").path)
        XCTAssertEqual(resumed.iter, 1)
        XCTAssertEqual(resumed.net.learnableParams[0].dataArray, solver.net.learnableParams[0].dataArray)

        try FileManager.default.removeItem(at: moved.appendingPathComponent("snap_iter_1.caffemodel"))
        let e = TestSupport.error { try resumed.restore(from: moved.appendingPathComponent("snap_iter_1.solverstate").path) }
        XCTAssertTrue(e?.message.contains("snap_iter_1.caffemodel") ?? false, "\(String(describing: e))")
    }

    func testTruncatedCorruptAndWrongStatesNameThePath() throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let solver = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: Self.solverText,
                                                prefix: tmp.appendingPathComponent("s").path)
        try solver.step(1)
        let (_, statePath) = try solver.snapshot()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: statePath))
        let cases: [(String, Data)] = [
            ("half.solverstate", bytes.prefix(bytes.count / 2)),
            ("cut.solverstate", bytes.prefix(bytes.count - 3)),
            ("empty.solverstate", Data()),
            ("garbage.solverstate", Data([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01])),
        ]
        for (name, data) in cases {
            let path = tmp.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            let e = TestSupport.error { try solver.restore(from: path) }
            XCTAssertTrue(e?.description.contains(path) ?? false, "\(name): \(String(describing: e))")
        }
        let missing = TestSupport.error { try solver.restore(from: tmp.appendingPathComponent("none.solverstate").path) }
        XCTAssertTrue(missing?.message.contains("does not exist") ?? false)

        // A state written by another solver type has the wrong number of history blobs.
        let sgd = try SolverTests.makeSolver(net: SolverTests.randomNet,
                                             solver: Self.solverText.replacingOccurrences(of: "Adam", with: "SGD"))
        let e = TestSupport.error { try sgd.restore(from: statePath) }
        XCTAssertTrue(e?.message.contains("history blobs") ?? false, "\(String(describing: e))")
    }

    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let dead = tmp.appendingPathComponent(".snap_iter_3.caffemodel.tmp-999999999").path
        let alive = tmp.appendingPathComponent(".snap_iter_4.caffemodel.tmp-\(getpid())").path
        let other = tmp.appendingPathComponent(".other_iter_3.caffemodel.tmp-999999999").path
        for path in [dead, alive, other] { _ = FileManager.default.createFile(atPath: path, contents: Data([1])) }
        try Snapshot.checkWritable(prefix: tmp.appendingPathComponent("snap").path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead))
        XCTAssertTrue(FileManager.default.fileExists(atPath: alive))
        XCTAssertTrue(FileManager.default.fileExists(atPath: other))
    }

    func testUnwritablePrefixFailsBeforeIterationZero() throws {
        let log = try SolverLog(echo: false, record: true)
        let e = TestSupport.error {
            _ = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: Self.solverText + " snapshot: 1",
                                           prefix: "/proc/swiftcaffe-no/snap", log: log)
        }
        XCTAssertEqual(e?.field, "snapshot_prefix")
        XCTAssertTrue(e?.description.contains("/proc/swiftcaffe-no") ?? false, "\(String(describing: e))")
        XCTAssertFalse(log.lines.contains { $0.hasPrefix("Iteration") })
    }
}
