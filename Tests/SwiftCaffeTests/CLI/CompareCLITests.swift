import Foundation
import XCTest

/// `swiftcaffe compare` end to end: AlexNet against CaffeNet as a user runs it.
final class CompareCLITests: XCTestCase {
    func run(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result { try SwiftCaffeExecutable.run(arguments) }

    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    func testDeployNetsShowTheOrderSwapAndEqualTotals() throws {
        let r = try run(["compare", "models/bvlc_alexnet/deploy.prototxt", "models/bvlc_reference_caffenet/deploy.prototxt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = lines(r.stdout)
        XCTAssertEqual(out[0], "Comparing 2 nets, phase TEST:")
        XCTAssertTrue(out[1].hasPrefix("  AlexNet   models/bvlc_alexnet/deploy.prototxt (batch 10)"), out[1])
        for (layer, message) in [("norm1", "order: after pool1 in CaffeNet, before it in AlexNet"),
                                 ("pool1", "order: before norm1 in CaffeNet, after it in AlexNet"),
                                 ("norm2", "order: after pool2 in CaffeNet, before it in AlexNet"),
                                 ("pool2", "order: before norm2 in CaffeNet, after it in AlexNet")] {
            let i = try XCTUnwrap(out.firstIndex { $0.hasPrefix("*  \(layer) ") }, r.stdout)
            XCTAssertEqual(out[i + 1], "      - \(message)")
        }
        XCTAssertEqual(out.filter { $0.hasPrefix("*") }.count, 4, r.stdout)
        XCTAssertTrue(r.stdout.contains("Parameters:              60,965,224 in both (equal)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Multiply-adds per image: 724,406,816 in both (equal)"), r.stdout)
    }

    func testTrainValNetsShowTheBiasFillers() throws {
        let r = try run(["compare", "models/bvlc_alexnet/train_val.prototxt",
                         "models/bvlc_reference_caffenet/train_val.prototxt", "--phase", "TRAIN"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = lines(r.stdout)
        XCTAssertEqual(out[0], "Comparing 2 nets, phase TRAIN:")
        for (layer, field) in [("conv2", "convolution_param"), ("conv4", "convolution_param"), ("conv5", "convolution_param"),
                               ("fc6", "inner_product_param"), ("fc7", "inner_product_param")] {
            let i = try XCTUnwrap(out.firstIndex { $0.hasPrefix("*  \(layer) ") }, r.stdout)
            XCTAssertEqual(out[i + 1], "      - \(field).bias_filler.value: 0.1 in AlexNet, 1 in CaffeNet")
        }
        XCTAssertTrue(r.stdout.contains("(batch 256)"), r.stdout)
        // The databases are not in the repository: each net says what it assumed.
        XCTAssertTrue(out.contains { $0.hasPrefix("Note: AlexNet: data: 'data' assumed 3x227x227") }, r.stdout)
        XCTAssertTrue(out.contains { $0.hasPrefix("Note: CaffeNet: data: 'data' assumed 3x227x227") }, r.stdout)
        XCTAssertTrue(r.stdout.contains("60,965,224 in both (equal)"), r.stdout)
    }

    func testMarkdownOutput() throws {
        let r = try run(["compare", "--markdown", "models/bvlc_alexnet/deploy.prototxt",
                         "models/bvlc_reference_caffenet/deploy.prototxt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = lines(r.stdout)
        XCTAssertTrue(out.contains { $0.hasPrefix("|  | layer | AlexNet # |") }, r.stdout)
        XCTAssertTrue(out.contains { $0.hasPrefix("| --- | --- | ---: |") }, r.stdout)
        XCTAssertTrue(out.contains { $0.hasPrefix("| * | norm1 | 4 | LRN | 10x96x55x55 |")
            && $0.contains("| 5 | LRN | 10x96x27x27 |") && $0.hasSuffix("in AlexNet, 10x96x27x27 in CaffeNet |") }, r.stdout)
        XCTAssertTrue(out.contains("- Parameters: 60,965,224 in both (equal)"), r.stdout)
    }

    /// Three copies of a small net, one of them with a Dropout more, timed.
    func testTimeAndThreeNets() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let base = NetAlignmentTests.net("small")
        let withDropout = NetAlignmentTests.net("small") { layers in
            layers.insert(#"layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" dropout_param { dropout_ratio: 0.3 } }"#, at: 5)
        }
        var files: [String] = []
        for (name, text) in [("a", base), ("b", withDropout), ("c", base)] {
            let path = dir.appendingPathComponent("\(name).prototxt").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let r = try run(["compare"] + files + ["--time", "--iterations", "2", "--batch", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Comparing 3 nets, phase TEST:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(batch 3, timed over 2 iterations)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("fwd ms"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Forward+backward per batch: "), r.stdout)
        let out = lines(r.stdout)
        let drop = try XCTUnwrap(out.firstIndex { $0.hasPrefix("*  drop ") }, r.stdout)
        XCTAssertEqual(out[drop + 1], "      - only in b")
        XCTAssertTrue(out[0...].contains { $0.hasPrefix("   data ") && $0.contains("3x3x8x8") }, r.stdout)
    }

    func testUsageAndFileErrors() throws {
        let one = try run(["compare", "models/bvlc_alexnet/deploy.prototxt"])
        XCTAssertEqual(one.status, 64)
        XCTAssertTrue(one.stderr.contains("at least two"), one.stderr)
        let missing = try run(["compare", "models/bvlc_alexnet/deploy.prototxt", "no/such/net.prototxt"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no/such/net.prototxt"), missing.stderr)
        XCTAssertFalse(missing.stderr.contains("Fatal error"), missing.stderr)
    }
}
