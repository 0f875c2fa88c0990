import Foundation
import XCTest
@testable import SwiftCaffe

/// Reading training logs: Caffe's glog log (values checked by hand against the
/// fixture's lines), SwiftCaffe's own lines from a real solver run, parse_log.py's
/// CSV tables, and the error for a file with nothing recognisable.
final class TrainingLogTests: XCTestCase {
    func testCaffeGlogLogHandChecked() throws {
        let log = try TrainingLog.parse(CaffeLogFixture.text, source: "caffe.log", year: 2026)
        XCTAssertEqual(log.format, .caffe)
        XCTAssertTrue(log.hasSeconds)
        // Seconds count from "Solving CaffeNet" at 23:58:50.5; the run crosses midnight.
        XCTAssertEqual(log.displayLoss.rows.map(\.iteration), [0, 50, 100, 150])
        XCTAssertEqual(log.displayLoss.rows.map { $0.values[0] }, [6.92, 6.5, 6.1, 5.75])
        try assertClose(log.displayLoss.rows.map(\.seconds), [10.5, 40.5, 81.0, 110.5])
        XCTAssertEqual(log.train.names, ["loss"])
        XCTAssertEqual(log.train.rows.map { $0.values[0] }, [6.92, 6.45, 6.05, 5.7])
        XCTAssertEqual(log.train.rows.map(\.learningRate), [0.01, 0.01, 0.001, 0.0001])
        XCTAssertEqual(log.test.count, 1)
        XCTAssertEqual(log.test[0].names, ["accuracy", "loss"])
        XCTAssertEqual(log.test[0].rows.map(\.iteration), [0, 100])
        XCTAssertEqual(log.test[0].rows.map(\.values), [[0.001, 6.90776], [0.0125, 6.6]])
        // A test row's time is when its outputs were printed (parse_log.py's).
        try assertClose(log.test[0].rows.map(\.seconds), [10.0, 80.5])
        XCTAssertEqual(log.test[0].rows.map(\.learningRate), [0.01, 0.001])
        XCTAssertEqual(log.lastIteration, 150)
        XCTAssertNil(log.wallSeconds)
    }

    func testParseLogStyleCSV() throws {
        let log = try TrainingLog.parse(CaffeLogFixture.text, source: "caffe.log", year: 2026)
        XCTAssertEqual(log.trainCSV(), """
            NumIters,Seconds,LearningRate,loss
            0,10.500000,0.01,6.92
            50,40.500000,0.01,6.45
            100,81.000000,0.001,6.05
            150,110.500000,0.0001,5.7

            """)
        XCTAssertEqual(log.testCSV(), """
            NumIters,Seconds,LearningRate,accuracy,loss
            0,10.000000,0.01,0.001,6.90776
            100,80.500000,0.001,0.0125,6.6

            """)
    }

    func testGlogPrefixAndLineGrammar() {
        let (stamp, message) = TrainingLogLine.splitPrefix("I1122 10:00:00.250000 12345 solver.cpp:218] Iteration 100, loss = 0.5")
        XCTAssertEqual(stamp, TrainingLogLine.Stamp(month: 11, day: 22, secondOfDay: 36000.25))
        XCTAssertEqual(message, "Iteration 100, loss = 0.5")
        XCTAssertNil(TrainingLogLine.splitPrefix("Iteration 100, loss = 0.5").stamp)
        XCTAssertEqual(TrainingLogLine.parse(message: "Iteration 7 (2.5 iter/s, 40s/100 iters), loss = 0.25"),
                       .displayLoss(iteration: 7, loss: 0.25))
        guard case let .displayLoss(7, loss)? = TrainingLogLine.parse(message: "Iteration 7, loss = -nan") else {
            return XCTFail("a nan loss is a display line")
        }
        XCTAssertTrue(loss.isNaN)
        XCTAssertEqual(TrainingLogLine.parse(message: "    Train net output #1: acc = 1e-05"),
                       .trainOutput(index: 1, name: "acc", value: 1e-5))
        XCTAssertEqual(TrainingLogLine.parse(message: "Iteration 20, Testing net (#1)"), .testing(iteration: 20, net: 1))
        XCTAssertEqual(TrainingLogLine.parse(message: "Trained 4 iterations in 0.3 s (120.5 images/s); peak memory 42 MB"),
                       .trained(iterations: 4, seconds: 0.3, imagesPerSecond: 120.5, peakMegabytes: 42))
        XCTAssertNil(TrainingLogLine.parse(message: "Iteration 20, Testing"))
        XCTAssertNil(TrainingLogLine.parse(message: "Snapshotting to binary proto file x_iter_2.caffemodel"))
    }

    /// The prefix `train --log` writes reads back as the time it was written, and a log
    /// stamped by SwiftCaffe stays a SwiftCaffe log (with seconds).
    func testSwiftCaffesGlogPrefixRoundTrip() throws {
        // 2026-12-02 18:20:42.123456 UTC.
        let prefix = TrainingLogLine.glogPrefix(now: timespec(tv_sec: 1_796_235_642, tv_nsec: 123_456_789), process: 4321)
        XCTAssertEqual(prefix, "I1202 18:20:42.123456 4321 swiftcaffe] ")
        let (stamp, message) = TrainingLogLine.splitPrefix(Substring(prefix + "Iteration 100, loss = 0.5"))
        XCTAssertEqual(stamp?.month, 12)
        XCTAssertEqual(stamp?.day, 2)
        XCTAssertEqual(stamp?.secondOfDay ?? 0, 18 * 3600 + 20 * 60 + 42.123456, accuracy: 1e-9)
        XCTAssertEqual(message, "Iteration 100, loss = 0.5")
        XCTAssertEqual(TrainingLogLine.glogPrefix(now: timespec(tv_sec: 0, tv_nsec: 999), process: 1), "I0101 00:00:00.000000 1 swiftcaffe] ")

        let text = """
            I1202 18:20:40.000000 7 swiftcaffe] Solving tiny
            I1202 18:20:40.500000 7 swiftcaffe] Iteration 0, loss = 2
            I1202 18:20:40.500000 7 swiftcaffe]     Train net output #0: loss = 2 (* 1 = 2 loss)
            I1202 18:20:41.250000 7 swiftcaffe] Iteration 10, loss = 1
            I1202 18:20:41.250000 7 swiftcaffe]     Train net output #0: loss = 1 (* 1 = 1 loss)
            """
        let log = try TrainingLog.parse(text, source: "stamped.log", year: 2026)
        XCTAssertEqual(log.format, .swiftCaffe)
        XCTAssertTrue(log.hasSeconds)
        try assertClose(log.displayLoss.rows.map(\.seconds), [0.5, 1.25])
        // The same lines behind Caffe's prefix are Caffe's log.
        let caffe = try TrainingLog.parse(text.replacingOccurrences(of: " 7 swiftcaffe] ", with: " 7 solver.cpp:218] "),
                                          source: "caffe.log", year: 2026)
        XCTAssertEqual(caffe.format, .caffe)
    }

    func testYearRolloverKeepsSecondsIncreasing() throws {
        let text = """
            I1231 23:59:59.000000 1 solver.cpp:1] Iteration 0, loss = 1
            I0101 00:00:01.000000 1 solver.cpp:1] Iteration 10, loss = 0.5
            """
        let log = try TrainingLog.parse(text, source: "new-year.log", year: 2025)
        try assertClose(log.displayLoss.rows.map(\.seconds), [0, 2])
    }

    /// SwiftCaffe's own lines, as a real solver run writes them.
    func testSwiftCaffeLogFromARealSolverRun() throws {
        let solverLog = try SolverLog(echo: false, record: true)
        let solver = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: """
            base_lr: 0.05 lr_policy: "step" gamma: 0.5 stepsize: 2 max_iter: 4 display: 2
            test_iter: 1 test_interval: 2 snapshot_after_train: false random_seed: 3
            """, prefix: try TestSupport.temporaryDirectory(self).appendingPathComponent("s").path, log: solverLog)
        try solver.solve()
        let log = try TrainingLog.parse(solverLog.lines.joined(separator: "\n"), source: "memory")
        XCTAssertEqual(log.format, .swiftCaffe)
        XCTAssertFalse(log.hasSeconds)
        XCTAssertEqual(log.displayLoss.rows.map(\.iteration), [0, 2, 4])
        XCTAssertEqual(log.test.first?.rows.map(\.iteration), [0, 2, 4])
        XCTAssertEqual(log.test.first?.names, ["loss"])
        XCTAssertEqual(log.train.rows.map(\.learningRate), [0.05, 0.025])
        // Every value is the one the line printed.
        for row in log.displayLoss.rows {
            let value = try XCTUnwrap(row.values[0])
            XCTAssertTrue(solverLog.lines.contains("Iteration \(row.iteration), loss = \(SolverLog.number(value))"),
                          "\(row.iteration): \(value)")
        }
        for row in log.test[0].rows {
            let value = try XCTUnwrap(row.values[0])
            XCTAssertTrue(solverLog.lines.contains { $0.hasPrefix("    Test net output #0: loss = \(SolverLog.number(value))") })
        }
    }

    func testNothingRecognisableSaysWhichFormatsAreUnderstood() {
        let error = TestSupport.error { _ = try TrainingLog.parse("hello\nworld\nIteration of nothing\n", source: "notes.txt") }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertTrue(error?.message.contains("'notes.txt' has no training progress") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.hint?.contains("SwiftCaffe's log") ?? false)
        XCTAssertTrue(error?.hint?.contains("Caffe's glog log") ?? false)
        XCTAssertTrue(error?.hint?.contains("solver.cpp:218]") ?? false)
    }

    func testMissingLogFile() {
        let error = TestSupport.error { _ = try TrainingLog.read(path: "/nonexistent/run.log") }
        XCTAssertEqual(error?.message, "training log '/nonexistent/run.log' does not exist")
    }

    private func assertClose(_ actual: [Double?], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            let value = try XCTUnwrap(a, file: file, line: line)
            XCTAssertEqual(value, e, accuracy: 1e-6, file: file, line: line)
        }
    }
}
