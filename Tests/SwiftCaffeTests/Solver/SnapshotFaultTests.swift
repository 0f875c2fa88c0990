import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// `swiftcaffe train` writing its snapshots onto a file system that fills up or
/// refuses writes (a real tmpfs, see ScratchFileSystem): a clear error, the earlier
/// snapshot intact and resumable, no temporary files left behind.
final class SnapshotFaultTests: XCTestCase {
    private var directory: URL!

    /// 100 → 500 inner product: a ~198 KiB .caffemodel and a .solverstate of the same size.
    static let net = """
        name: "fat"
        layer { name: "data" type: "DummyData" top: "data" top: "target"
          dummy_data_param { shape { dim: 2 dim: 100 } shape { dim: 2 dim: 500 } data_filler { type: "gaussian" std: 1 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
          inner_product_param { num_output: 500 weight_filler { type: "gaussian" std: 0.01 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss" }
        """

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        try Self.net.write(to: directory.appendingPathComponent("net.prototxt"), atomically: true, encoding: .utf8)
    }

    private func writeSolver(_ name: String, prefix: String, maxIter: Int, snapshot: Int) throws {
        try """
            net: "net.prototxt" base_lr: 0.01 lr_policy: "fixed" momentum: 0.9 max_iter: \(maxIter)
            snapshot: \(snapshot) snapshot_prefix: "\(prefix)" random_seed: 3 display: 0
            """.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private func train(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result {
        try SwiftCaffeExecutable.run(["train"] + arguments, in: directory)
    }

    func testDiskFullDuringASnapshotKeepsThePreviousOneAndLeavesNoTemporaryFile() throws {
        // Room for one snapshot (two ~198 KiB files) but not for a second one.
        let fs = try ScratchFileSystem.mount(self, kilobytes: 560)
        try writeSolver("solver.prototxt", prefix: fs.path + "/fat", maxIter: 6, snapshot: 2)
        let r = try train(["--solver", "solver.prototxt"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        XCTAssertTrue(r.stderr.contains("fat_iter_4.caffemodel"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), r.stderr)
        XCTAssertEqual(try fs.contents(), ["fat_iter_2.caffemodel", "fat_iter_2.solverstate"])

        // The surviving snapshot is complete: training resumes from it elsewhere.
        try writeSolver("finish.prototxt", prefix: "snaps/fat", maxIter: 4, snapshot: 0)
        let resumed = try train(["--solver", "finish.prototxt", "--snapshot", fs.path + "/fat_iter_2.solverstate"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("Optimization Done."), resumed.stdout)
        let state = try Snapshot.readState(directory.appendingPathComponent("snaps/fat_iter_4.solverstate").path)
        XCTAssertEqual(state.iter, 4)
    }

    func testReadOnlySnapshotFolderFailsBeforeTraining() throws {
        let fs = try ScratchFileSystem.mount(self, kilobytes: 64)
        try fs.makeReadOnly()
        try writeSolver("solver.prototxt", prefix: fs.path + "/fat", maxIter: 1_000_000, snapshot: 2)
        let r = try train(["--solver", "solver.prototxt"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("Read-only file system"), r.stderr)
        XCTAssertTrue(r.stderr.contains(fs.path), r.stderr)
        // Checked up front: not one iteration is spent before the error.
        XCTAssertFalse(r.stdout.contains("Starting Optimization"), r.stdout)
        XCTAssertEqual(try fs.contents(), [])
    }
}
