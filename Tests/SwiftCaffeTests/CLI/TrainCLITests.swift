import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// `swiftcaffe train` and `swiftcaffe test` end to end.
final class TrainCLITests: XCTestCase {
    typealias Result = SwiftCaffeExecutable.Result

    var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        try SolverTests.randomNet.write(to: directory.appendingPathComponent("net.prototxt"), atomically: true, encoding: .utf8)
        try Self.solver().write(to: directory.appendingPathComponent("solver.prototxt"), atomically: true, encoding: .utf8)
    }

    static func solver(maxIter: Int = 4, snapshot: Int = 2, extra: String = "") -> String {
        """
        net: "net.prototxt"
        base_lr: 0.01 lr_policy: "step" gamma: 0.5 stepsize: 2 momentum: 0.9 weight_decay: 0.0005
        max_iter: \(maxIter) display: 2 test_iter: 2 test_interval: 2 snapshot: \(snapshot)
        snapshot_prefix: "snaps/tiny" random_seed: 5
        \(extra)
        """
    }

    func write(_ text: String, _ name: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func process(_ arguments: [String]) -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = SwiftCaffeExecutable.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        return (process, out, err)
    }

    func run(_ arguments: [String]) throws -> Result { try SwiftCaffeExecutable.run(arguments, in: directory) }

    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }

    func testLogLinesInCaffeFormatLogFileAndNoProgressWhenPiped() throws {
        let r = try run(["train", "--solver", "solver.prototxt", "--log", "train.log"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = lines(r.stdout)
        func has(_ prefix: String) -> Bool { out.contains { $0.hasPrefix(prefix) } }
        XCTAssertTrue(out.contains("Iteration 0, Testing net (#0)"), r.stdout)
        XCTAssertTrue(has("    Test net output #0: loss = ") && out.contains { $0.hasSuffix(" loss)") }, r.stdout)
        XCTAssertTrue(has("Iteration 0, loss = "), r.stdout)
        XCTAssertTrue(has("    Train net output #0: loss = "), r.stdout)
        XCTAssertTrue(out.contains("Iteration 0, lr = 0.01"), r.stdout)
        XCTAssertTrue(out.contains("Iteration 2, lr = 0.005"), r.stdout)
        XCTAssertTrue(out.contains("Snapshotting to binary proto file snaps/tiny_iter_2.caffemodel"), r.stdout)
        XCTAssertTrue(out.contains("Snapshotting solver state to binary proto file snaps/tiny_iter_2.solverstate"), r.stdout)
        XCTAssertTrue(out.contains("Iteration 4, Testing net (#0)"), r.stdout)
        XCTAssertEqual(out.dropLast().last, "Optimization Done.")
        // The last line sums the run up: the figures benchmarks/BENCHMARKS.md records.
        XCTAssertNotNil(out.last?.range(of: #"^Trained 4 iterations in [0-9.]+ s( \([0-9.]+ images/s\))?; peak memory \d+ MB$"#,
                                         options: .regularExpression), out.last ?? "")
        for line in out where line.hasPrefix("Iteration ") && line.contains("loss = ") {
            XCTAssertNotNil(line.range(of: #"^Iteration \d+, loss = [-0-9.e+]+$"#, options: .regularExpression), line)
        }
        // The file has the same lines, each behind glog's prefix (its time, for plot --x seconds).
        let logged = lines(try String(contentsOf: directory.appendingPathComponent("train.log"), encoding: .utf8))
        let prefix = #"^I\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ swiftcaffe\] "#
        for line in logged { XCTAssertNotNil(line.range(of: prefix, options: .regularExpression), line) }
        XCTAssertEqual(logged.map { $0.replacingOccurrences(of: prefix, with: "", options: .regularExpression) }, out)
        XCTAssertFalse(r.stdout.contains("\r") || r.stdout.contains("\u{1B}"))
        XCTAssertFalse(r.stderr.contains("\r") || r.stderr.contains("\u{1B}"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("snaps/tiny_iter_4.solverstate").path))
    }

    func testResumeFinetuneAndScore() throws {
        XCTAssertEqual(try run(["train", "--solver", "solver.prototxt"]).status, 0)
        try write(Self.solver(maxIter: 6), "solver6.prototxt")
        let resumed = try run(["train", "--solver", "solver6.prototxt", "--snapshot", "snaps/tiny_iter_4.solverstate"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("Resuming from snaps/tiny_iter_4.solverstate"))
        XCTAssertFalse(resumed.stdout.contains("Iteration 2, lr"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("Iteration 4, lr = 0.0025"), resumed.stdout)
        let tuned = try run(["train", "--solver", "solver.prototxt", "--weights", "snaps/tiny_iter_6.caffemodel"])
        XCTAssertEqual(tuned.status, 0, tuned.stderr)
        XCTAssertTrue(tuned.stdout.contains("Finetuning from snaps/tiny_iter_6.caffemodel"))

        let scored = try run(["test", "--model", "net.prototxt", "--weights", "snaps/tiny_iter_6.caffemodel", "--iterations", "3"])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let out = lines(scored.stdout)
        XCTAssertEqual(out.first, "Running for 3 iterations.")
        XCTAssertEqual(out.filter { $0.hasPrefix("Batch ") }.count, 3)
        XCTAssertTrue(out.contains { $0.hasPrefix("Batch 2, loss = ") })
        XCTAssertTrue(out.contains { $0.hasPrefix("Loss: ") })
        XCTAssertNotNil(out.last?.range(of: #"^loss = \S+ \(\* 1 = \S+ loss\)$"#, options: .regularExpression), scored.stdout)
    }

    func testErrors() throws {
        XCTAssertEqual(try run(["train", "--solver", "solver.prototxt"]).status, 0)
        let model = try run(["train", "--solver", "solver.prototxt", "--snapshot", "snaps/tiny_iter_4.caffemodel"])
        XCTAssertNotEqual(model.status, 0)
        XCTAssertTrue(model.stderr.contains("--weights snaps/tiny_iter_4.caffemodel"), model.stderr)
        let state = try run(["train", "--solver", "solver.prototxt", "--weights", "snaps/tiny_iter_4.solverstate"])
        XCTAssertNotEqual(state.status, 0)
        XCTAssertTrue(state.stderr.contains("--snapshot snaps/tiny_iter_4.solverstate"), state.stderr)
        let both = try run(["train", "--solver", "solver.prototxt", "--snapshot", "snaps/tiny_iter_4.solverstate",
                            "--weights", "snaps/tiny_iter_4.caffemodel"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
        let missing = try run(["train", "--solver", "nope.prototxt"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.prototxt"), missing.stderr)
        XCTAssertFalse(missing.stderr.contains("Fatal error"))

        try write(Self.solver().replacingOccurrences(of: "snaps/tiny", with: "/proc/swiftcaffe-no/tiny"), "bad_prefix.prototxt")
        let unwritable = try run(["train", "--solver", "bad_prefix.prototxt"])
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertTrue(unwritable.stderr.contains("/proc/swiftcaffe-no/tiny"), unwritable.stderr)
        XCTAssertFalse(unwritable.stdout.contains("Iteration 0"), unwritable.stdout)

        try write(SolverTests.randomNet.replacingOccurrences(of: "num_output: 8", with: "num_output: 5"), "net5.prototxt")
        try write(Self.solver().replacingOccurrences(of: "net.prototxt", with: "net5.prototxt"), "solver5.prototxt")
        let mismatch = try run(["train", "--solver", "solver5.prototxt", "--weights", "snaps/tiny_iter_4.caffemodel"])
        XCTAssertEqual(mismatch.status, 1)
        for part in ["'ip1'", "8x6", "5x6", "rename"] { XCTAssertTrue(mismatch.stderr.contains(part), "\(part): \(mismatch.stderr)") }

        let bytes = try Data(contentsOf: directory.appendingPathComponent("snaps/tiny_iter_4.solverstate"))
        try bytes.prefix(bytes.count / 2).write(to: directory.appendingPathComponent("cut.solverstate"))
        let corrupt = try run(["train", "--solver", "solver.prototxt", "--snapshot", "cut.solverstate"])
        XCTAssertEqual(corrupt.status, 1)
        XCTAssertTrue(corrupt.stderr.contains("cut.solverstate"), corrupt.stderr)

        try write(Self.solver(maxIter: 100).replacingOccurrences(of: "base_lr: 0.01", with: "base_lr: 1e30"), "huge.prototxt")
        let nan = try run(["train", "--solver", "huge.prototxt"])
        XCTAssertEqual(nan.status, 1)
        XCTAssertNotNil(nan.stderr.range(of: #"diverged: the loss is \S+ at iteration \d+"#, options: .regularExpression), nan.stderr)
    }

    func testCheckNumericsNamesTheFirstLayerThatMadeNaN() throws {
        try write(NumericsCheckTests.rootNet(input: -1), "root.prototxt")
        try write(Self.solver().replacingOccurrences(of: "net.prototxt", with: "root.prototxt")
                    .replacingOccurrences(of: "test_iter: 2 test_interval: 2", with: ""), "root_solver.prototxt")
        let checked = try run(["train", "--solver", "root_solver.prototxt", "--check_numerics"])
        XCTAssertEqual(checked.status, 1)
        XCTAssertTrue(checked.stderr.contains("non-finite value in the forward pass at iteration 0: layer 'sqrt' (Power) "
                                              + "made top 'root' data[0] = nan (2 of 2 values are not finite)"), checked.stderr)
        XCTAssertTrue(checked.stderr.contains("hint: lower base_lr"), checked.stderr)
        let unchecked = try run(["train", "--solver", "root_solver.prototxt"])
        XCTAssertEqual(unchecked.status, 1)
        XCTAssertTrue(unchecked.stderr.contains("training diverged: the loss is nan at iteration 0"), unchecked.stderr)
    }

    /// SIGKILL while snapshots are being written: every file under its final name is
    /// complete, and training resumes from the newest pair.
    func testSIGKILLDuringSnapshotsLeavesLoadableFiles() throws {
        try write(Self.solver(maxIter: 100_000, snapshot: 1), "long.prototxt")
        let (p, out, err) = process(["train", "--solver", "long.prototxt"])
        out.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        err.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        try p.run()
        let snaps = directory.appendingPathComponent("snaps")
        let deadline = Date().addingTimeInterval(60)
        func states() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: snaps.path)) ?? []).filter { $0.hasSuffix(".solverstate") }
        }
        while states().count < 6 && Date() < deadline { usleep(2_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)

        let files = try FileManager.default.contentsOfDirectory(atPath: snaps.path)
        for name in files where name.hasSuffix(".solverstate") {
            XCTAssertNoThrow(try Snapshot.readState(snaps.appendingPathComponent(name).path), name)
        }
        for name in files where name.hasSuffix(".caffemodel") {
            let model = try Net.readWeights(snaps.appendingPathComponent(name).path)
            XCTAssertEqual(model.layer.first { $0.name == "ip1" }?.blobs.count, 2, name)
        }
        let newest = try XCTUnwrap(states().max { iterOf($0) < iterOf($1) })
        let iter = iterOf(newest)
        XCTAssertGreaterThanOrEqual(iter, 6)
        XCTAssertTrue(files.contains("tiny_iter_\(iter).caffemodel"))
        try write(Self.solver(maxIter: iter + 3, snapshot: 1), "finish.prototxt")
        let resumed = try run(["train", "--solver", "finish.prototxt", "--snapshot", "snaps/" + newest])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("Optimization Done."), resumed.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: snaps.appendingPathComponent("tiny_iter_\(iter + 3).solverstate").path))
        let left = try FileManager.default.contentsOfDirectory(atPath: snaps.path)
        XCTAssertFalse(left.contains { $0.contains(".tmp-") }, "stale temporary files: \(left)")
    }

    func iterOf(_ name: String) -> Int {
        Int(name.replacingOccurrences(of: "tiny_iter_", with: "").replacingOccurrences(of: ".solverstate", with: "")) ?? -1
    }

    func testSIGHUPSnapshotsAndSIGINTSnapshotsThenStops() throws {
        try write("""
            net: "net.prototxt" base_lr: 0.001 lr_policy: "fixed" max_iter: 1000000
            snapshot_prefix: "snaps/tiny" random_seed: 5
            """, "sigint.prototxt")
        // Waits for the signal handlers: a fixed sleep lost the race under ThreadSanitizer,
        // whose slower start let SIGHUP's default action kill the process.
        let training = try startTraining(["--solver", "sigint.prototxt"])
        let p = training.process
        kill(p.processIdentifier, SIGHUP)   // default: snapshot and continue
        let snaps = directory.appendingPathComponent("snaps").path
        func states() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: snaps)) ?? []).filter { $0.hasSuffix(".solverstate") }.count
        }
        let deadline = Date().addingTimeInterval(20)
        while states() < 1 && Date() < deadline { usleep(10_000) }
        usleep(200_000)
        XCTAssertTrue(p.isRunning, "SIGHUP must not stop training")
        kill(p.processIdentifier, SIGINT)
        let text = training.wait()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("Snapshotting and stopping (SIGINT)"), text)
        XCTAssertTrue(text.contains("Optimization stopped early."), text)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("snaps").path)
        XCTAssertEqual(snapshots.filter { $0.hasSuffix(".solverstate") }.count, 2, "\(snapshots)")
        XCTAssertTrue(text.contains("Snapshotting (SIGHUP)"), text)
    }
}
