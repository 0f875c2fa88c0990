import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// `mpirun -np N swiftcaffe train` end to end on a small convolutional net over a
/// real LMDB (random crops and mirrors on): N ranks × batch B train exactly what one
/// process with batch N·B trains, resume across rank counts, agree on test scores, and
/// end together when a rank dies. Skipped when mpirun is not installed.
final class DistributedTrainingTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        _ = try MPIRun.requireLauncher()
        directory = try TestSupport.temporaryDirectory(self)
        try writeDatabase(count: 150)
    }

    private func writeDatabase(count: Int) throws {
        let db = try LMDBDatabase(path: directory.appendingPathComponent("lmdb").path, mode: .create)
        let random = RandomSource(seed: 11)
        for i in 0..<count {
            var datum = Caffe_Datum()
            (datum.channels, datum.height, datum.width) = (1, 8, 8)
            datum.label = Int32(i % 4)
            // Brighter rows for higher labels: something to learn.
            datum.data = Data((0..<64).map { k in UInt8(min(255, random.nextInt(below: 128) + (k / 8) * 16 * Int(datum.label) / 3)) })
            try db.put(key: String(format: "%08d", i), value: try datum.serializedData())
        }
        try db.commit()
        try db.close()
    }

    private func net(batch: Int, testBatch: Int = 10) -> String {
        """
        name: "tiny_conv"
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
          transform_param { crop_size: 6 mirror: true scale: 0.00390625 }
          data_param { source: "lmdb" batch_size: \(batch) backend: LMDB } }
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
          transform_param { crop_size: 6 scale: 0.00390625 }
          data_param { source: "lmdb" batch_size: \(testBatch) backend: LMDB } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
          convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip"
          inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """
    }

    private func solver(net: String, prefix: String, maxIter: Int, snapshot: Int = 0, testIter: Int = 3,
                        seed: Int = 7) -> String {
        """
        net: "\(net)"
        base_lr: 0.05 momentum: 0.9 weight_decay: 0.0005 lr_policy: "step" gamma: 0.5 stepsize: 3
        max_iter: \(maxIter) display: 1 test_iter: \(testIter) test_interval: 3 snapshot: \(snapshot)
        snapshot_prefix: "\(prefix)" random_seed: \(seed)
        """
    }

    /// Writes the net (per-rank batch) and its solver; returns the solver file name.
    private func setUp(_ name: String, batch: Int, maxIter: Int, snapshot: Int = 0, testIter: Int = 3,
                       seed: Int = 7) throws -> String {
        try net(batch: batch).write(to: directory.appendingPathComponent("\(name).net"), atomically: true, encoding: .utf8)
        let text = solver(net: "\(name).net", prefix: "snaps/\(name)", maxIter: maxIter, snapshot: snapshot,
                          testIter: testIter, seed: seed)
        try text.write(to: directory.appendingPathComponent("\(name).solver"), atomically: true, encoding: .utf8)
        return "\(name).solver"
    }

    private func weights(_ name: String, iter: Int) throws -> [String: [Float]] {
        let proto = try Net.readWeights(directory.appendingPathComponent("snaps/\(name)_iter_\(iter).caffemodel").path)
        var blobs: [String: [Float]] = [:]
        for layer in proto.layer { for (i, blob) in layer.blobs.enumerated() { blobs["\(layer.name)/\(i)"] = blob.data } }
        return blobs
    }

    private func assertClose(_ a: [String: [Float]], _ b: [String: [Float]], relative: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
        XCTAssertFalse(a.isEmpty, file: file, line: line)
        for (key, x) in a {
            guard let y = b[key], x.count == y.count else { return XCTFail("\(key) differs in size", file: file, line: line) }
            let scale = max(x.map(abs).max() ?? 0, 1e-3)
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst / scale, relative, "\(key): largest difference \(worst)", file: file, line: line)
        }
    }

    /// "    Test net output #k: name = v" values, in order.
    private func testOutputs(_ log: String) -> [Float] {
        log.split(separator: "\n").compactMap { line -> Float? in
            guard line.hasPrefix("    Test net output #"), let eq = line.range(of: " = ") else { return nil }
            return Float(line[eq.upperBound...].split(separator: " ").first ?? "")
        }
    }

    private func train(_ solverFile: String, ranks: Int?, extra: [String] = []) throws -> SwiftCaffeExecutable.Result {
        let arguments = ["train", "--solver", solverFile, "--weight_check_interval", "2"] + extra
        let r = try ranks.map { try MPIRun.run(ranks: $0, arguments, in: directory) }
            ?? SwiftCaffeExecutable.run(arguments, in: directory)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        return r
    }

    func testTwoRanksOfBatch32EqualOneProcessOfBatch64() throws {
        let one = try train(try setUp("one", batch: 64, maxIter: 6), ranks: nil)
        let two = try train(try setUp("two", batch: 32, maxIter: 6), ranks: 2, extra: ["--bucket_mb", "0.001"])
        assertClose(try weights("one", iter: 6), try weights("two", iter: 6))
        XCTAssertTrue(two.stdout.contains("Data-parallel training: 2 ranks × batch 32 × iter_size 1 = effective batch 64"),
                      two.stdout)
        XCTAssertFalse(one.stdout.contains("Data-parallel"))
        // Rank 0 alone logs: each line once.
        XCTAssertEqual(two.stdout.components(separatedBy: "Optimization Done.").count - 1, 1, two.stdout)
        let (a, b) = (testOutputs(one.stdout), testOutputs(two.stdout))
        XCTAssertEqual(a.count, 6, one.stdout)  // test passes at iterations 0, 3, 6 × (accuracy, loss)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(x)), "\(a) vs \(b)") }
        // The snapshot says who wrote it; the .solverstate is plain Caffe.
        let record = try String(contentsOf: directory.appendingPathComponent("snaps/two_iter_6.solverstate.ranks"), encoding: .utf8)
        XCTAssertTrue(record.contains("world_size: 2\n") && record.contains("global_data_cursor: 384\n")
                      && record.contains("rank 1 data_cursor: 416\n"), record)
    }

    func testThreeRanksSplitTheTestSetUnevenly() throws {
        // test_iter 4 on 3 ranks: shares 2, 1, 1 in the first pass, then 1, 2, 1 …
        let one = try train(try setUp("one", batch: 30, maxIter: 6, testIter: 4), ranks: nil)
        let three = try train(try setUp("three", batch: 10, maxIter: 6, testIter: 4), ranks: 3)
        assertClose(try weights("one", iter: 6), try weights("three", iter: 6))
        let (a, b) = (testOutputs(one.stdout), testOutputs(three.stdout))
        XCTAssertEqual(a.count, 6)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(x)), "\(a) vs \(b)") }
    }

    func testResumeAcrossRankCountsAndExactlyOnTheSameCount() throws {
        _ = try train(try setUp("one", batch: 64, maxIter: 6), ranks: nil)
        _ = try train(try setUp("two", batch: 32, maxIter: 6, snapshot: 3), ranks: 2)
        // 2 ranks → 1 process with the global batch.
        let resumedOne = try setUp("two_on_one", batch: 64, maxIter: 6)
        let r = try train(resumedOne, ranks: nil, extra: ["--snapshot", "snaps/two_iter_3.solverstate"])
        XCTAssertTrue(r.stdout.contains("Resuming a snapshot written by 2 ranks on 1: global data cursor 192"), r.stdout)
        assertClose(try weights("one", iter: 6), try weights("two_on_one", iter: 6))
        // 2 ranks → 2 ranks: bit-exact.
        let resumedTwo = try setUp("two_again", batch: 32, maxIter: 6)
        _ = try train(resumedTwo, ranks: 2, extra: ["--snapshot", "snaps/two_iter_3.solverstate"])
        XCTAssertEqual(try weights("two", iter: 6), try weights("two_again", iter: 6))
    }

    func testRanksWithDifferentWeightsAreAnErrorNamingTheIteration() throws {
        let a = try setUp("a", batch: 32, maxIter: 2), b = try setUp("b", batch: 32, maxIter: 2, seed: 8)
        let exe = SwiftCaffeExecutable.executable.path
        let common = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
        let r = try MPIRun.run(common + ["-np", "1", exe, "train", "--solver", a, ":", "-np", "1", exe, "train", "--solver", b],
                               in: directory)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue((r.stdout + r.stderr).contains("the weights of the ranks differ at iteration 0"), r.stdout + r.stderr)
    }

    /// 20 for "long_iter_20.solverstate".
    static func iteration(_ name: String) -> Int? {
        guard let range = name.range(of: "_iter_"), let dot = name.range(of: ".", range: range.upperBound..<name.endIndex) else {
            return nil
        }
        return Int(name[range.upperBound..<dot.lowerBound])
    }

    func testAKilledRankEndsTheJobNamingItAndTheRunResumes() throws {
        let solverFile = try setUp("long", batch: 8, maxIter: 100_000, snapshot: 10)
        let launcher = try MPIRun.requireLauncher()
        let job = MPIRun.start(launcher, MPIRun.options(ranks: 2) + [SwiftCaffeExecutable.executable.path, "train",
                                                                       "--solver", solverFile], in: directory)
        try job.process.run()
        let snapshot = directory.appendingPathComponent("snaps/long_iter_10.solverstate").path
        let deadline = Date().addingTimeInterval(120)
        var ranks: [Int: Int32] = [:]
        while Date() < deadline && (ranks[1] == nil || !FileManager.default.fileExists(atPath: snapshot)) {
            Thread.sleep(forTimeInterval: 0.2)
            ranks = MPIRun.rankProcesses(of: job.process.processIdentifier)
        }
        guard let victim = ranks[1], FileManager.default.fileExists(atPath: snapshot) else {
            job.process.terminate()
            return XCTFail("the job did not reach its first snapshot: \(job.output())")
        }
        kill(victim, SIGKILL)
        let killed = Date()
        while job.process.isRunning && Date().timeIntervalSince(killed) < 20 { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertFalse(job.process.isRunning, "the job still runs 20 s after rank 1 was killed")
        if job.process.isRunning { job.process.terminate() }
        job.process.waitUntilExit()
        XCTAssertNotEqual(job.process.terminationStatus, 0)
        let output = job.output()
        XCTAssertTrue(output.contains("rank 1") && output.contains("signal 9"), output)

        // Resume from the last snapshot it wrote, on 2 ranks, for a few iterations.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("snaps").path)
        let iterations = names.filter { $0.hasSuffix(".solverstate") }.compactMap(Self.iteration).sorted()
        let iter = try XCTUnwrap(iterations.last)
        let last = "long_iter_\(iter).solverstate"
        let resume = try setUp("long", batch: 8, maxIter: iter + 2)
        let r = try train(resume, ranks: 2, extra: ["--snapshot", "snaps/\(last)"])
        XCTAssertTrue(r.stdout.contains("Optimization Done."), r.stdout)
    }
}
