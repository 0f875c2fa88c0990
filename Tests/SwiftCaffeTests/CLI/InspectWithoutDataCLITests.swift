import Foundation
import XCTest
@testable import SwiftCaffe

/// `summary`, `time` and `draw` on Caffe's MNIST and CIFAR-10 train_test nets when
/// their LMDBs do not exist: --data-shape, or the unknown shape named.
final class InspectWithoutDataCLITests: XCTestCase {
    func nets() throws -> (dir: URL, lenet: String, cifar: String) {
        let dir = try TestSupport.temporaryDirectory(self)
        return (dir, try CaffeExampleNets.write(CaffeExampleNets.lenet, as: "lenet_train_test.prototxt", in: dir),
                try CaffeExampleNets.write(CaffeExampleNets.cifar10Quick, as: "cifar10_quick_train_test.prototxt", in: dir))
    }

    func testSummaryWithoutADataShapeNamesTheUnknownBlobAndListsTheLayers() throws {
        let (dir, lenet, _) = try nets()
        let r = try SwiftCaffeExecutable.run(["summary", lenet], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        for layer in ["mnist", "conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2", "loss"] {
            XCTAssertTrue(r.stdout.contains(" \(layer) "), "\(layer) in\n\(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("cannot infer the shape of 'data'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("the shape of 'data' is unknown, so these layers show '?': conv1,"), r.stdout)
        XCTAssertTrue(r.stdout.contains("?, 100"), "data unknown, label known (TEST batch 100):\n\(r.stdout)")
        XCTAssertTrue(r.stdout.contains("phase TEST, batch 100"), r.stdout)
    }

    func testSummaryWithADataShape() throws {
        let (dir, lenet, cifar) = try nets()
        let r = try SwiftCaffeExecutable.run(["summary", "--phase", "TRAIN", "--data-shape", "64,1,28,28", lenet], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Parameters:     431,080 "), r.stdout)
        XCTAssertTrue(r.stdout.contains("64x20x24x24"), r.stdout)
        XCTAssertTrue(r.stdout.contains("64x1x28x28, 64"), r.stdout)
        XCTAssertFalse(r.stdout.contains("?"), r.stdout)

        let c = try SwiftCaffeExecutable.run(["summary", "--data-shape", "data=100,3,32,32", cifar], in: dir)
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("Parameters:     145,578 "), c.stdout)
        XCTAssertTrue(c.stdout.contains("100x64x4x4"), c.stdout)
    }

    func testABadDataShapeIsAUsageError() throws {
        let (dir, lenet, _) = try nets()
        let r = try SwiftCaffeExecutable.run(["summary", "--data-shape", "64,one,28,28", lenet], in: dir)
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("cannot read the data shape '64,one,28,28'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--data-shape"), r.stderr)
        let unnamed = try SwiftCaffeExecutable.run(["draw", "--data-shape", "label=64", lenet], in: dir)
        XCTAssertEqual(unnamed.status, 64, unnamed.stderr)
        XCTAssertTrue(unnamed.stderr.contains("no data layer of this net produces it"), unnamed.stderr)
    }

    func testTimeWithADataShapeRunsForwardAndBackward() throws {
        let (dir, lenet, cifar) = try nets()
        let missing = try SwiftCaffeExecutable.run(["time", "--model", lenet, "--iterations", "1"], in: dir)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cannot infer the shape of 'data'"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("--data-shape N,C,H,W"), missing.stderr)

        for (net, shape) in [(lenet, "2,1,28,28"), (cifar, "data=2,3,32,32")] {
            let r = try SwiftCaffeExecutable.run(["time", "--model", net, "--data-shape", shape, "--iterations", "2"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("replaced by DummyData of the same shape"), r.stdout)
            XCTAssertTrue(r.stdout.contains("conv1\tbackward: "), r.stdout)
            XCTAssertTrue(r.stdout.contains("Average Forward-Backward: "), r.stdout)
            XCTAssertTrue(r.stdout.contains("(batch 2)"), r.stdout)
        }
    }

    func testDrawLabelsEdgesWithTheGivenShapesOrAQuestionMark() throws {
        let (dir, lenet, _) = try nets()
        let shaped = try SwiftCaffeExecutable.run(["draw", "--phase", "TRAIN", "--data-shape", "64,1,28,28", lenet], in: dir)
        XCTAssertEqual(shaped.status, 0, shaped.stderr)
        let dot = try ParsedDOT(shaped.stdout)
        let conv1 = try XCTUnwrap(dot.node(named: "conv1"))
        let pool1 = try XCTUnwrap(dot.node(named: "pool1"))
        XCTAssertTrue(dot.edges(into: conv1).contains { $0.label.contains("64×1×28×28") }, "\(dot.edges(into: conv1))")
        XCTAssertTrue(dot.edges(into: pool1).contains { $0.label.contains("64×20×24×24") }, "\(dot.edges(into: pool1))")

        let unknown = try SwiftCaffeExecutable.run(["draw", "--phase", "TRAIN", lenet], in: dir)
        XCTAssertEqual(unknown.status, 0, unknown.stderr)
        let guessed = try ParsedDOT(unknown.stdout)
        let into = guessed.edges(into: try XCTUnwrap(guessed.node(named: "pool1")))
        XCTAssertTrue(into.contains { $0.label.contains("?") }, "\(into)")
    }

    func testLayersListsEveryTypeWithItsDescriptionAndTheErrorNamesTheCommand() throws {
        let r = try SwiftCaffeExecutable.run(["layers"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for layer in LayerRegistry.builtInLayers {
            XCTAssertTrue(lines.contains { $0.hasPrefix("  " + layer.type + " ") && $0.hasSuffix("  " + layer.summary) },
                          "\(layer.type) in\n\(r.stdout)")
        }
        XCTAssertTrue(lines.contains("Vision:"), r.stdout)
        XCTAssertTrue(lines.contains("\(LayerRegistry.builtIn.types.count) layer types."), r.stdout)

        let dir = try TestSupport.temporaryDirectory(self)
        let net = try CaffeExampleNets.write("""
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 4 } } }
            layer { name: "act" type: "Relu" bottom: "x" top: "y" }
            """, as: "typo.prototxt", in: dir)
        let typo = try SwiftCaffeExecutable.run(["summary", net], in: dir)
        XCTAssertEqual(typo.status, 1)
        XCTAssertTrue(typo.stderr.contains("unknown layer type 'Relu'"), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("did you mean 'ReLU'"), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("registered types: AbsVal, Accuracy,"), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("run 'swiftcaffe layers' for the list with descriptions"), typo.stderr)
    }
}
