import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// SIGTERM, as SLURM and Kubernetes send it to stop a job, and solver-file errors
/// through `swiftcaffe train`.
extension TrainCLITests {
    /// A `swiftcaffe train` running in the background whose standard output is collected.
    struct Running {
        let process: Process
        let output: SwiftCaffeExecutable.Bytes
        let finished: DispatchGroup
        let errors: Pipe

        var text: String { String(decoding: output.data, as: UTF8.self) }

        /// Waits for the process to exit and its output to end.
        func wait() -> String {
            process.waitUntilExit()
            finished.wait()
            errors.fileHandleForReading.readabilityHandler = nil
            return text
        }
    }

    /// Starts `swiftcaffe train` with `arguments` and returns once the signal handlers
    /// are installed ("Starting Optimization" is logged after them).
    func startTraining(_ arguments: [String]) throws -> Running {
        let (p, out, err) = process(["train"] + arguments)
        try p.run()
        let output = SwiftCaffeExecutable.Bytes()
        let finished = DispatchGroup()
        finished.enter()
        DispatchQueue.global().async {
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                output.data += chunk   // the only writer
            }
            finished.leave()
        }
        err.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        let running = Running(process: p, output: output, finished: finished, errors: err)
        let deadline = Date().addingTimeInterval(60)
        while !running.text.contains("Starting Optimization") && p.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(running.text.contains("Starting Optimization"), running.text)
        return running
    }

    /// A solver that trains until a signal stops it.
    func writeEndlessSolver(_ name: String, extra: String = "") throws {
        try write("""
            net: "net.prototxt" base_lr: 0.001 lr_policy: "fixed" max_iter: 1000000
            snapshot_prefix: "snaps/tiny" random_seed: 5 \(extra)
            """, name)
    }

    func solverStates() -> [String] {
        let snaps = directory.appendingPathComponent("snaps").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: snaps)) ?? []).filter { $0.hasSuffix(".solverstate") }
    }

    func testSIGTERMSnapshotsThenStopsAndTheSnapshotResumes() throws {
        try writeEndlessSolver("endless.prototxt")
        let training = try startTraining(["--solver", "endless.prototxt"])
        kill(training.process.processIdentifier, SIGTERM)
        let text = training.wait()
        XCTAssertEqual(training.process.terminationReason, .exit, text)
        XCTAssertEqual(training.process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("Snapshotting and stopping (SIGTERM)…"), text)
        XCTAssertTrue(text.contains("Optimization stopped early."), text)
        let states = solverStates()
        XCTAssertEqual(states.count, 1, "\(states)")
        let state = try XCTUnwrap(states.first)
        let iter = iterOf(state)
        XCTAssertGreaterThan(iter, 0)

        try write(Self.solver(maxIter: iter + 2, snapshot: 0), "finish.prototxt")
        let resumed = try run(["train", "--solver", "finish.prototxt", "--snapshot", "snaps/" + state])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("Resuming from snaps/\(state)"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("Optimization Done."), resumed.stdout)
        XCTAssertTrue(solverStates().contains("tiny_iter_\(iter + 2).solverstate"), "\(solverStates())")
    }

    func testSIGTERMEffectStopStopsWithoutASnapshot() throws {
        // Without snapshot_after_train: false, the after-training snapshot is written, as in Caffe.
        try writeEndlessSolver("endless.prototxt", extra: "snapshot_after_train: false")
        let training = try startTraining(["--solver", "endless.prototxt", "--sigterm_effect", "stop"])
        kill(training.process.processIdentifier, SIGTERM)
        let text = training.wait()
        XCTAssertEqual(training.process.terminationReason, .exit, text)
        XCTAssertEqual(training.process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("Stopping (SIGTERM)"), text)
        XCTAssertTrue(text.contains("Optimization stopped early."), text)
        XCTAssertEqual(solverStates(), [])
    }

    func testSIGTERMEffectNoneKeepsTraining() throws {
        try writeEndlessSolver("endless.prototxt")
        let training = try startTraining(["--solver", "endless.prototxt", "--sigterm_effect", "none",
                                     "--sigint_effect", "stop"])
        kill(training.process.processIdentifier, SIGTERM)
        usleep(500_000)   // many iterations of the tiny net: the flag has been seen
        XCTAssertTrue(training.process.isRunning, "--sigterm_effect none must not stop training")
        kill(training.process.processIdentifier, SIGINT)
        let text = training.wait()
        XCTAssertEqual(training.process.terminationStatus, 0, text)
        XCTAssertFalse(text.contains("SIGTERM"), text)
        XCTAssertTrue(text.contains("Stopping (SIGINT)"), text)
    }

    func testSolverFileErrorShowsItsPosition() throws {
        try write(Self.solver().replacingOccurrences(of: #"lr_policy: "step""#, with: #"lr_policy: "stepp""#), "typo.prototxt")
        let r = try run(["train", "--solver", "typo.prototxt"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("typo.prototxt:2:15: error: unknown learning rate policy 'stepp'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'step'?"), r.stderr)
    }
}
