import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// `swiftcaffe classify` and `swiftcaffe test --oversample` end to end, on nets whose
/// weights are set by hand (the expected classes are known).
final class ClassifyCLITests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        try ClassifierFixtures.colourDeploy.write(to: url("deploy.prototxt"), atomically: true, encoding: .utf8)
        let (w, b) = ClassifierFixtures.colourWeights()
        try ClassifierFixtures.writeWeights(net: ClassifierFixtures.colourDeploy, weights: w, bias: b,
                                            to: url("colours.caffemodel").path)
        try "blue\ngreen\nred\n".write(to: url("labels.txt"), atomically: true, encoding: .utf8)
        try ClassifierFixtures.writeSolidPNG(url("red.png").path, red: 250, green: 10, blue: 0)
        try ClassifierFixtures.writeSolidPNG(url("blue.png").path, red: 0, green: 60, blue: 200)
    }

    private func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    private func run(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result {
        try SwiftCaffeExecutable.run(arguments, in: directory)
    }

    private let base = ["classify", "--model", "deploy.prototxt", "--weights", "colours.caffemodel"]

    func testTextOutputNamesTheTopClasses() throws {
        let r = try run(base + ["--labels", "labels.txt", "--top", "2", "red.png", "blue.png"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Classifying 2 image(s) with 'deploy.prototxt': centre 2x2 crop of 256x256; "
                                    + "'prob', 3 classes")
        XCTAssertEqual(lines[1], "red.png:")
        // Scores 0.01 · 4 · (B, G, R) = (0, 0.4, 10): softmax 0.99989 and 0.0000677.
        XCTAssertEqual(lines[2], "   1. 0.9999  class 2  red")
        XCTAssertEqual(lines[3], "   2. 0.0001  class 1  green")
        XCTAssertEqual(lines[4], "blue.png:")
        XCTAssertTrue(lines[5].contains("class 0  blue"), lines[5])
        XCTAssertEqual(lines.count, 7)
    }

    func testJSONOutputParsesAndTenCropsAreUsed() throws {
        let r = try run(base + ["--labels", "labels.txt", "--json", "--oversample", "--image-dims", "4,5",
                                "--top", "3", "red.png", "blue.png"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["crops"] as? Int, 10)
        XCTAssertEqual(json["classes"] as? Int, 3)
        XCTAssertEqual(json["output"] as? String, "prob")
        XCTAssertEqual(json["image_size"] as? [Int], [4, 5])
        XCTAssertEqual(json["crop_size"] as? [Int], [2, 2])
        let images = try XCTUnwrap(json["images"] as? [[String: Any]])
        XCTAssertEqual(images.map { $0["image"] as? String }, ["red.png", "blue.png"])
        for (image, expected) in zip(images, [(2, "red"), (0, "blue")]) {
            let predictions = try XCTUnwrap(image["predictions"] as? [[String: Any]])
            XCTAssertEqual(predictions.count, 3)
            XCTAssertEqual(predictions.map { $0["rank"] as? Int }, [1, 2, 3])
            XCTAssertEqual(predictions[0]["class"] as? Int, expected.0)
            XCTAssertEqual(predictions[0]["label"] as? String, expected.1)
            let p = predictions.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
            XCTAssertEqual(p.count, 3)
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(p, p.sorted(by: >))
        }
        // A solid colour looks the same in every patch: the 10-crop answer is the centre one.
        let centre = try run(base + ["--json", "--center-only", "--image-dims", "4,5", "--top", "1", "red.png"])
        let centreJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(centre.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(centreJSON["crops"] as? Int, 1)
        let first = (centreJSON["images"] as? [[String: Any]])?.first?["predictions"] as? [[String: Any]]
        let tenCropFirst = (images[0]["predictions"] as? [[String: Any]])?.first
        XCTAssertEqual((first?.first?["probability"] as? NSNumber)?.doubleValue ?? -1,
                       (tenCropFirst?["probability"] as? NSNumber)?.doubleValue ?? -2, accuracy: 1e-6)
        XCTAssertNil(first?.first?["label"] as? String)
    }

    /// The whole path a user takes: `swiftcaffe train` learns the three colours from PNGs
    /// through an ImageData layer, and `classify` with the snapshot it wrote names them.
    func testClassifiesWithWeightsTrainedByTheCLI() throws {
        try ClassifierFixtures.writeSolidPNG(url("green.png").path, red: 20, green: 220, blue: 30)
        try "blue.png 0\ngreen.png 1\nred.png 2\n".write(to: url("train.txt"), atomically: true, encoding: .utf8)
        try """
            name: "colours"
            layer { name: "data" type: "ImageData" top: "data" top: "label"
                    image_data_param { source: "train.txt" batch_size: 3 new_height: 4 new_width: 4 }
                    transform_param { crop_size: 2 scale: 0.00390625 } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                    inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.01 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """.write(to: url("train.prototxt"), atomically: true, encoding: .utf8)
        try """
            net: "train.prototxt"
            base_lr: 0.5 lr_policy: "fixed" momentum: 0.9 max_iter: 60 display: 20
            snapshot_prefix: "trained" random_seed: 1701 solver_mode: CPU
            """.write(to: url("solver.prototxt"), atomically: true, encoding: .utf8)
        let train = try run(["train", "--solver", "solver.prototxt"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let weights = url("trained_iter_60.caffemodel").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: weights), train.stderr)

        let r = try run(["classify", "--model", "deploy.prototxt", "--weights", weights, "--scale", "0.00390625",
                         "--labels", "labels.txt", "--top", "1", "--json", "red.png", "green.png", "blue.png"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let images = try XCTUnwrap(json["images"] as? [[String: Any]])
        let top = images.map { (($0["predictions"] as? [[String: Any]])?.first?["label"] as? String) ?? "?" }
        XCTAssertEqual(top, ["red", "green", "blue"], r.stdout)
    }

    func testErrorsSayWhatToDo() throws {
        let cases: [([String], Int32, [String])] = [
            (base + ["--labels", "nope.txt", "red.png"], 1, ["labels file 'nope.txt' does not exist"]),
            (["classify", "--model", "deploy.prototxt", "--weights", "none.caffemodel", "red.png"], 1,
             ["weights file 'none.caffemodel' does not exist"]),
            (base + ["red.png", "missing.jpg"], 1, ["the image 'missing.jpg' does not exist"]),
            (base + ["--image-dims", "1,1", "red.png"], 64, ["input is 2x2 but images are resized to 1x1",
                                                             "--image-dims 2,2"]),
            (base + ["--oversample", "--center-only", "red.png"], 64, ["exclude each other"]),
            (base, 64, ["at least one image"]),
            (base + ["--mean_value", "1,x", "red.png"], 64, ["--mean_value expects numbers"]),
            (base + ["--mean_value", "1,2", "red.png"], 64, ["2 --mean_value values for a net with 3 input channel(s)"]),
            (base + ["--output", "fc9", "red.png"], 64, ["no blob 'fc9'", "'prob'"]),
        ]
        for (arguments, status, parts) in cases {
            let r = try run(arguments)
            XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)")
            for part in parts { XCTAssertTrue(r.stderr.contains(part), "\(part): \(r.stderr)") }
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
        try "a\nb\n".write(to: url("two.txt"), atomically: true, encoding: .utf8)
        let labels = try run(base + ["--labels", "two.txt", "red.png"])
        XCTAssertEqual(labels.status, 64)
        XCTAssertTrue(labels.stderr.contains("has 2 line(s) but 'prob' scores 3 classes"), labels.stderr)
        // Weights of another net: the shapes do not match, and the error says which layer.
        try ClassifierFixtures.colourDeploy.replacingOccurrences(of: "dim: 2 dim: 2", with: "dim: 3 dim: 3")
            .write(to: url("bigger.prototxt"), atomically: true, encoding: .utf8)
        let bigger = try run(["classify", "--model", "bigger.prototxt", "--weights", "colours.caffemodel", "red.png"])
        XCTAssertEqual(bigger.status, 1)
        XCTAssertTrue(bigger.stderr.contains("'ip'"), bigger.stderr)
    }

    /// `test --oversample` on a tiny LMDB: Caffe's lines with the centre-crop figure beside
    /// each, and the table; the centre column is what plain `test` prints.
    func testTestOversamplePrintsTenCropAndCentreCropSideBySide() throws {
        let db = url("db").path
        try ClassifierFixtures.writeDatabase(db, count: 3)
        try ClassifierFixtures.scoringNet(source: db).write(to: url("net.prototxt"), atomically: true, encoding: .utf8)
        try ClassifierFixtures.writeWeights(net: ClassifierFixtures.scoringNet(source: db),
                                            weights: ClassifierFixtures.scoringWeights,
                                            bias: ClassifierFixtures.scoringBias, to: url("tiny.caffemodel").path)
        let arguments = ["test", "--model", "net.prototxt", "--weights", "tiny.caffemodel", "--iterations", "2"]
        let r = try run(arguments + ["--oversample"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Running for 2 iterations, 10 crops per example (4 corners + centre, and their "
                                    + "mirrors; averaging the softmax of 'ip').")
        XCTAssertEqual(lines.filter { $0.hasPrefix("Batch ") }.count, 4)
        XCTAssertNotNil(lines.first { $0.range(of: #"^Batch 1, loss = \S+ \(centre crop: \S+\)$"#,
                                               options: .regularExpression) != nil }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Loss: ") && $0.contains("(centre crop: ") }, r.stdout)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("output") })
        XCTAssertEqual(lines[header].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "),
                       "output centre crop 10 crops difference")
        let rows = lines[(header + 1)...].map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["accuracy", "loss"])

        let plain = try run(arguments)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let plainLoss = try XCTUnwrap(plain.stdout.split(separator: "\n").last { $0.hasPrefix("loss = ") })
        let plainValue = try XCTUnwrap(Double(plainLoss.split(separator: " ")[2]))
        XCTAssertEqual(Double(rows[1][1]) ?? -1, plainValue, accuracy: 1e-4)

        let deploy = try run(["test", "--model", "deploy.prototxt", "--weights", "colours.caffemodel", "--oversample"])
        XCTAssertEqual(deploy.status, 64)
        XCTAssertTrue(deploy.stderr.contains("Data or ImageData"), deploy.stderr)
    }
}
