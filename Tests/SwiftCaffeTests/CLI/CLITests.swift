import Foundation
import XCTest

/// The `swiftcaffe` executable end to end: output, exit status, error text.
final class CLITests: XCTestCase {
    func run(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result { try SwiftCaffeExecutable.run(arguments) }

    func testSummaryOfBothDeployNets() throws {
        for net in ["bvlc_alexnet", "bvlc_reference_caffenet"] {
            let r = try run(["summary", "models/\(net)/deploy.prototxt"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("Parameters:     60,965,224"), r.stdout)
            XCTAssertTrue(r.stdout.contains("Multiply-adds:  724,406,816 per image"), r.stdout)
            XCTAssertTrue(r.stdout.contains("batch 10"), r.stdout)
            let relu = r.stdout.split(separator: "\n").first { $0.contains(" relu1 ") }
            XCTAssertTrue(relu?.hasSuffix("in place") ?? false, "\(relu ?? "no relu1 row")")
        }
    }

    func testSummaryPhaseFlag() throws {
        let train = try run(["summary", "models/bvlc_alexnet/train_val.prototxt", "--phase", "TRAIN"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("phase TRAIN, batch 256"), train.stdout)
        XCTAssertFalse(train.stdout.contains("Accuracy"))
        let test = try run(["summary", "models/bvlc_alexnet/train_val.prototxt", "--phase", "test"])
        XCTAssertEqual(test.status, 0, test.stderr)
        XCTAssertTrue(test.stdout.contains("phase TEST, batch 50"), test.stdout)
        XCTAssertTrue(test.stdout.contains("Accuracy"))
        let bad = try run(["summary", "models/bvlc_alexnet/train_val.prototxt", "--phase", "VAL"])
        XCTAssertNotEqual(bad.status, 0)
    }

    func testBadNetFileGivesPositionAndNonZeroExit() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let cases: [(String, String)] = [
            ("layer { name: \"c\" type: \"Convolution\"\n  convolution_param { kernal_size: 3 } }\n", ":2:23: error: unknown field 'kernal_size'"),
            ("layer { name: \"c\"\n", "error:"),
            ("layer { name: \"r\" type: \"ReLU\" bottom: \"nothing\" top: \"y\" }\n", ":1:"),
            ("\u{0}\u{1}binary\u{FF}", "error:"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("bad\(i).prototxt").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try run(["summary", path])
            XCTAssertEqual(r.status, 1, "case \(i): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "case \(i): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertFalse(r.stderr.contains("Stack dump"), r.stderr)
        }
    }

    func testMissingFileIsAClearError() throws {
        let r = try run(["summary", "no/such/net.prototxt"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no/such/net.prototxt"), r.stderr)
    }

    func testUpgradeWritesAModernNetWithTheSameTotals() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let out = dir.appendingPathComponent("alexnet_modern.prototxt").path
        let legacy = TestSupport.fixtures.appendingPathComponent("legacy/alexnet_v1.prototxt").path
        let r = try run(["upgrade", legacy, out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("layer {"), text)
        XCTAssertFalse(text.contains("layers {"), text)
        XCTAssertFalse(text.contains("input_dim"), text)
        let summary = try run(["summary", out])
        XCTAssertEqual(summary.status, 0, summary.stderr)
        XCTAssertTrue(summary.stdout.contains("Parameters:     60,965,224"), summary.stdout)
        XCTAssertTrue(summary.stdout.contains("Multiply-adds:  724,406,816 per image"), summary.stdout)
    }

    /// `time` prints Caffe's summary lines for deploy nets (backward from the output)
    /// and for train_val nets (data layers stood in for by DummyData).
    func testTimeOnDeployAndTrainValNets() throws {
        for file in ["models/bvlc_reference_caffenet/deploy.prototxt", "models/bvlc_alexnet/train_val.prototxt"] {
            let r = try run(["time", "--model", file, "--batch", "1", "--iterations", "2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for line in ["Average Forward pass: ", "Average Backward pass: ", "Average Forward-Backward: ",
                         "Images per second: ", "conv1\tforward: ", "conv1\tbackward: "] {
                XCTAssertTrue(r.stdout.contains(line), "\(file): no '\(line)' in\n\(r.stdout)")
            }
            let backward = r.stdout.split(separator: "\n").first { $0.hasPrefix("Average Backward pass: ") }
            let ms = backward.flatMap { Double($0.dropFirst("Average Backward pass: ".count).dropLast(" ms.".count)) }
            XCTAssertGreaterThan(ms ?? 0, 0, "\(file): backward really ran")
        }
        let bad = try run(["time", "--model", "models/bvlc_alexnet/deploy.prototxt", "--iterations", "0"])
        XCTAssertNotEqual(bad.status, 0)
    }

    /// --solver: the solver's update is timed after each backward pass, on its own line,
    /// with the parameters it updates (LeNet: 520 + 25,050 + 400,500 + 5,010).
    func testTimeWithSolverTimesTheUpdate() throws {
        for (flags, passes) in [([String](), "fused"), (["--separate-update-passes"], "in separate passes")] {
            let r = try run(["time", "--model", "models/fashion_mnist/lenet_train_test.prototxt", "--data-shape", "2,1,28,28",
                             "--iterations", "1", "--solver", "models/fashion_mnist/lenet_solver.prototxt"] + flags)
            XCTAssertEqual(r.status, 0, r.stderr)
            for line in ["Average Update (SGD, 431080 parameters, \(passes)): ", "Average zeroing of the parameter diffs: ",
                         "Average Forward-Backward-Update: ", "Average Forward-Backward: "] {
                XCTAssertTrue(r.stdout.contains(line), "no '\(line)' in\n\(r.stdout)")
            }
        }
        let plain = try run(["time", "--model", "models/fashion_mnist/lenet_train_test.prototxt", "--data-shape", "2,1,28,28",
                             "--iterations", "1"])
        XCTAssertFalse(plain.stdout.contains("Average Update"), plain.stdout)
        let missing = try run(["time", "--model", "models/fashion_mnist/lenet_train_test.prototxt", "--data-shape", "2,1,28,28",
                               "--solver", "no_such_solver.prototxt"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no_such_solver.prototxt"), missing.stderr)
    }

    /// --engine dnnl: each layer's engine and the layout conversion time are shown.
    func testTimeShowsEachLayersEngine() throws {
        let r = try run(["time", "--model", "models/bvlc_reference_caffenet/deploy.prototxt", "--batch", "1",
                         "--iterations", "1", "--engine", "dnnl", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["conv1\tengine: dnnl ", "pool1\tengine: dnnl ", "norm1\tengine: dnnl ", "fc6\tengine: openblas",
                     "Layout conversions: "] {
            XCTAssertTrue(r.stdout.contains(line), "no '\(line)' in\n\(r.stdout)")
        }
        XCTAssertFalse(r.stdout.contains("ref:"), r.stdout)
        let bad = try run(["time", "--model", "models/bvlc_alexnet/deploy.prototxt", "--engine", "cuda"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("unknown engine 'cuda'"), bad.stderr)
    }

    /// --threads reaches oneDNN's OpenMP threads, OpenBLAS's and the worker pool (each
    /// asked back from its library); libgomp's idle threads sleep at once unless the
    /// user chose otherwise (set before libgomp loads: the executable restarts itself).
    func testThreadsReachEveryPoolAndOpenMPWaitsPassively() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_WAIT_POLICY"] = nil
        environment["GOMP_SPINCOUNT"] = nil
        let arguments = ["time", "--model", "models/fashion_mnist/lenet_train_test.prototxt", "--data-shape", "2,1,28,28",
                         "--iterations", "1", "--engine", "dnnl"]
        let one = try SwiftCaffeExecutable.run(arguments + ["--threads", "1"], environment: environment)
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("Threads: oneDNN (OpenMP) 1, OpenBLAS 1, worker pool 1; OMP_WAIT_POLICY=passive\n"),
                      one.stdout)
        environment["OMP_WAIT_POLICY"] = "active"
        let three = try SwiftCaffeExecutable.run(arguments + ["--threads", "3"], environment: environment)
        XCTAssertEqual(three.status, 0, three.stderr)
        XCTAssertTrue(three.stdout.contains("Threads: oneDNN (OpenMP) 3, OpenBLAS 3, worker pool 3; OMP_WAIT_POLICY=active\n"),
                      three.stdout)
        for bad in ["0", "-1", "100000"] {
            let r = try run(["time", "--model", "models/bvlc_alexnet/deploy.prototxt", "--threads=\(bad)"])
            XCTAssertEqual(r.status, 64, "--threads \(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--threads must be between 1 and 1024 (got \(bad))"), r.stderr)
        }
        let word = try run(["time", "--model", "models/bvlc_alexnet/deploy.prototxt", "--threads", "two"])
        XCTAssertEqual(word.status, 64, word.stderr)
    }

    /// Flag mistakes are caught before anything is read, as usage errors (status 64)
    /// that name the flag.
    func testUsageErrorsNameTheirFlags() throws {
        let cases: [([String], String)] = [
            (["time", "--model", "models/bvlc_alexnet/deploy.prototxt", "--batch", "0"], "--batch must be positive (got 0)"),
            (["test", "--model", "net.prototxt", "--weights", "snap_iter_4.solverstate"],
             "--weights expects .caffemodel files, but 'snap_iter_4.solverstate' is a solver state"),
            (["convert-mnist", "images", "labels", "db", "--backend", "leveldb"],
             "unsupported backend 'leveldb': the data tools read and write only lmdb"),
            (["compute-image-mean", "db", "mean.binaryproto", "--backend", "LevelDB"],
             "unsupported backend 'LevelDB': the data tools read and write only lmdb"),
            (["convert-imageset", "root", "list.txt", "db", "--encode_type", "png"], "--encode_type needs --encoded"),
            (["convert-imageset", "root", "list.txt", "db", "--encoded", "--encode_type", "gif"],
             "unsupported --encode_type 'gif'"),
            (["convert-imageset", "root", "list.txt", "db", "--shorter_side", "8", "--resize_height", "4",
              "--resize_width", "4"], "--shorter_side cannot be combined with --resize_height/--resize_width"),
        ]
        for (arguments, message) in cases {
            let r = try run(arguments)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("error: " + message), "\(arguments): \(r.stderr)")
        }
    }
}
