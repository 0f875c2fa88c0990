import Foundation
import XCTest
@testable import SwiftCaffe

/// `swiftcaffe compare --solver …` end to end on real data: 120 Fashion-MNIST test
/// images (Debian's dataset-fashion-mnist) in an LMDB, a softmax regression trained by
/// three solver configurations, two of them identical.
final class CompareSolversCLITests: XCTestCase {
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    static let net = """
        name: "softmax"
        layer { name: "data" type: "Data" top: "data" top: "label"
          transform_param { scale: 0.00390625 } data_param { source: "db" batch_size: 20 backend: LMDB } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
          inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.01 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }
        """

    static func solver(lr: String) -> String {
        """
        net: "net.prototxt"
        base_lr: \(lr) lr_policy: "fixed" momentum: 0.9
        max_iter: 1000 display: 2 test_iter: 2 test_interval: 3 snapshot: 500 snapshot_prefix: "never/here"
        random_seed: 99
        """
    }

    func testTrainsEachSolverAndComparesSideBySide() throws {
        let images = "\(Self.fashionMNIST)/t10k-images-idx3-ubyte.gz", labels = "\(Self.fashionMNIST)/t10k-labels-idx1-ubyte.gz"
        guard FileManager.default.fileExists(atPath: images) else {
            throw XCTSkip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
        }
        let directory = try TestSupport.temporaryDirectory(self)
        // The first 120 real images and labels, as small IDX files, then an LMDB.
        let count = 120
        let idx = try IDXFile.readImages(path: images), idxLabels = try IDXFile.readLabels(path: labels)
        var imageBytes = IDXTestFiles.bigEndian(IDXFile.imageMagic) + IDXTestFiles.bigEndian(UInt32(count))
            + IDXTestFiles.bigEndian(UInt32(idx.rows)) + IDXTestFiles.bigEndian(UInt32(idx.columns))
        for i in 0..<count { imageBytes += idx.image(i) }
        let labelBytes = IDXTestFiles.bigEndian(IDXFile.labelMagic) + IDXTestFiles.bigEndian(UInt32(count))
            + Array(idxLabels.labels[0..<count])
        try IDXTestFiles.write(imageBytes, to: directory.appendingPathComponent("images.idx"))
        try IDXTestFiles.write(labelBytes, to: directory.appendingPathComponent("labels.idx"))
        let converted = try SwiftCaffeExecutable.run(["convert-mnist", "images.idx", "labels.idx", "db"], in: directory)
        XCTAssertEqual(converted.status, 0, converted.stderr)
        try Self.net.write(to: directory.appendingPathComponent("net.prototxt"), atomically: true, encoding: .utf8)
        for (name, lr) in [("slow", "0.01"), ("same", "0.01"), ("fast", "0.1")] {
            try Self.solver(lr: lr).write(to: directory.appendingPathComponent("\(name).prototxt"), atomically: true, encoding: .utf8)
        }

        let r = try SwiftCaffeExecutable.run(["compare", "--solver", "slow.prototxt", "--solver", "same.prototxt",
                                              "--solver", "fast.prototxt", "--iterations", "6", "--seed", "5", "-o", "out"],
                                             in: directory)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("Training 3 configurations in turn, random_seed 5, 6 iterations each"), r.stdout)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.contains("iteration") && $0.contains("accuracy") })
        XCTAssertEqual(header.components(separatedBy: "train loss").count - 1, 3, header)
        // Tests at 0, 3 and 6: one row each; the identical configurations agree exactly.
        var slow: [[String]] = [], fast: [[String]] = []
        for iteration in ["0", "3", "6"] {
            let row = try XCTUnwrap(lines.first { $0.split(separator: " ").first.map(String.init) == iteration && $0.contains("|") },
                                    r.stdout)
            let groups = row.components(separatedBy: "|").map { $0.split(separator: " ").map(String.init) }
            XCTAssertEqual(groups.count, 4, row)
            XCTAssertEqual(groups[1], groups[2], "same seed, same data, same solver: same numbers (\(row))")
            slow.append(groups[1])
            fast.append(groups[3])
        }
        XCTAssertEqual(slow[0], fast[0], "iteration 0 is tested before any update")
        XCTAssertNotEqual(slow[2], fast[2], "a 10x larger rate trains differently")
        for name in ["slow", "same", "fast"] {
            let cost = try XCTUnwrap(lines.first { $0.hasPrefix(name + " ") }, r.stdout)
            XCTAssertNotNil(cost.range(of: #"\s6\s+[0-9.]+ s\s+[0-9.]+ s\s+[0-9.]+\s+[0-9.]+ MiB$"#, options: .regularExpression), cost)
        }
        XCTAssertTrue(r.stdout.contains("peak RSS: the training process's own high-water resident memory"))

        let out = directory.appendingPathComponent("out")
        let copy = try String(contentsOf: out.appendingPathComponent("fast.solver.prototxt"), encoding: .utf8)
        XCTAssertTrue(copy.contains("random_seed: 5") && copy.contains("max_iter: 6"), copy)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("never").path))
        // The run logs carry glog stamps, so they plot against seconds.
        let log = try TrainingLog.read(path: out.appendingPathComponent("slow.log").path)
        XCTAssertTrue(log.hasSeconds)
        XCTAssertEqual(log.format, .swiftCaffe, "stamped by SwiftCaffe, not Caffe's log")
        XCTAssertEqual(log.test.first?.rows.map(\.iteration), [0, 3, 6])
        XCTAssertNotNil(log.peakMegabytes)
        for file in ["curves-iterations.svg", "curves-seconds.svg", "comparison.md", "report.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let svg = try String(contentsOf: out.appendingPathComponent("curves-seconds.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"legend-entry\"").count - 1, 3)
        let markdown = try String(contentsOf: out.appendingPathComponent("comparison.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| iteration | slow train loss | slow test accuracy | slow test loss |"), markdown)
        XCTAssertTrue(markdown.contains("| 6 |"), markdown)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<table class=\"solvers\">") && html.contains("<polyline"))
    }
}
