import CaffeProto
import XCTest
@testable import SwiftCaffe

/// The two reference nets, in all their forms, have the numbers of FACTS.md.
final class ReferenceModelTests: XCTestCase {
    static let parameters = 60_965_224
    static let multiplyAdds = 724_406_816

    /// Per layer, the top shape for one image (batch axis dropped).
    static let alexnetShapes: [String: [Int]] = [
        "conv1": [96, 55, 55], "norm1": [96, 55, 55], "pool1": [96, 27, 27],
        "conv2": [256, 27, 27], "norm2": [256, 27, 27], "pool2": [256, 13, 13],
        "conv3": [384, 13, 13], "conv4": [384, 13, 13], "conv5": [256, 13, 13],
        "pool5": [256, 6, 6], "fc6": [4096], "fc7": [4096], "fc8": [1000],
    ]
    static let caffenetShapes: [String: [Int]] = [
        "conv1": [96, 55, 55], "pool1": [96, 27, 27], "norm1": [96, 27, 27],
        "conv2": [256, 27, 27], "pool2": [256, 13, 13], "norm2": [256, 13, 13],
        "conv3": [384, 13, 13], "conv4": [384, 13, 13], "conv5": [256, 13, 13],
        "pool5": [256, 6, 6], "fc6": [4096], "fc7": [4096], "fc8": [1000],
    ]

    func build(_ path: String, phase: Caffe_Phase? = nil) throws -> Net {
        let definition = try NetDefinition.load(path: TestSupport.model(path))
        return try NetBuilder.build(definition, options: NetBuildOptions(phase: phase, inspectOnly: true))
    }

    func check(_ net: Net, batch: Int, shapes: [String: [Int]], layerOrder: [String],
               file: StaticString = #filePath, line: UInt = #line) {
        let summary = NetSummary(net: net)
        XCTAssertEqual(summary.totalParameters, Self.parameters, file: file, line: line)
        XCTAssertEqual(summary.totalMultiplyAddsPerImage, Self.multiplyAdds, file: file, line: line)
        XCTAssertEqual(summary.batchSize, batch, file: file, line: line)
        for (name, shape) in shapes {
            XCTAssertEqual(net.blob(named: name)?.shape, [batch] + shape, "blob \(name)", file: file, line: line)
        }
        let names = net.layers.map(\.name).filter { layerOrder.contains($0) }
        XCTAssertEqual(names, layerOrder, "execution order", file: file, line: line)
    }

    static let alexnetOrder = ["conv1", "relu1", "norm1", "pool1", "conv2", "relu2", "norm2", "pool2"]
    static let caffenetOrder = ["conv1", "relu1", "pool1", "norm1", "conv2", "relu2", "pool2", "norm2"]

    func testAlexNetDeploy() throws {
        let net = try build("bvlc_alexnet/deploy.prototxt")
        check(net, batch: 10, shapes: Self.alexnetShapes, layerOrder: Self.alexnetOrder)
        XCTAssertEqual(net.outputNames, ["prob"])
        XCTAssertEqual(net.blob(named: "data")?.shape, [10, 3, 227, 227])
    }

    func testCaffeNetDeploy() throws {
        let net = try build("bvlc_reference_caffenet/deploy.prototxt")
        check(net, batch: 10, shapes: Self.caffenetShapes, layerOrder: Self.caffenetOrder)
        XCTAssertEqual(net.outputNames, ["prob"])
    }

    func testTrainValTrainPhase() throws {
        for (path, shapes, order) in [("bvlc_alexnet/train_val.prototxt", Self.alexnetShapes, Self.alexnetOrder),
                                      ("bvlc_reference_caffenet/train_val.prototxt", Self.caffenetShapes, Self.caffenetOrder)] {
            let net = try build(path, phase: .train)
            check(net, batch: 256, shapes: shapes, layerOrder: order)
            XCTAssertEqual(net.outputNames, ["loss"], path)
            XCTAssertNil(net.layer(named: "accuracy"), "accuracy is TEST only")
            XCTAssertEqual(net.layers.filter { $0.type == "Data" }.count, 1)
        }
    }

    func testTrainValTestPhase() throws {
        for (path, shapes, order) in [("bvlc_alexnet/train_val.prototxt", Self.alexnetShapes, Self.alexnetOrder),
                                      ("bvlc_reference_caffenet/train_val.prototxt", Self.caffenetShapes, Self.caffenetOrder)] {
            let net = try build(path, phase: .test)
            check(net, batch: 50, shapes: shapes, layerOrder: order)
            // Caffe numbers outputs in name order: accuracy is output #0, loss #1.
            XCTAssertEqual(net.outputNames, ["accuracy", "loss"], path)
            // fc8 and label feed both Accuracy and SoftmaxWithLoss: Caffe's split names.
            XCTAssertNotNil(net.layer(named: "fc8_fc8_0_split"))
            XCTAssertNotNil(net.layer(named: "label_data_1_split"))
        }
    }

    func testLearningMultipliersAndBackward() throws {
        let net = try build("bvlc_alexnet/train_val.prototxt", phase: .train)
        XCTAssertEqual(net.learnableParams.count, 16)
        XCTAssertEqual(net.paramLearningRateMultipliers, Array(repeating: [1, 2], count: 8).flatMap { $0 })
        XCTAssertEqual(net.paramDecayMultipliers, Array(repeating: [1, 0], count: 8).flatMap { $0 })
        let needs = Dictionary(uniqueKeysWithValues: zip(net.layers.map(\.name), net.layerNeedsBackward))
        XCTAssertEqual(needs["data"], false)
        XCTAssertEqual(needs["conv1"], true)
        XCTAssertEqual(needs["loss"], true)
        // conv1 has no gradient to pass to the data.
        let conv1 = net.layers.firstIndex { $0.name == "conv1" }!
        XCTAssertEqual(net.bottomNeedsBackward[conv1], [false])
    }

    func testFillersAndBiasesFollowFacts() throws {
        let alexnet = try NetDefinition.load(path: TestSupport.model("bvlc_alexnet/train_val.prototxt")).param
        let caffenet = try NetDefinition.load(path: TestSupport.model("bvlc_reference_caffenet/train_val.prototxt")).param
        func bias(_ net: Caffe_NetParameter, _ name: String) -> Float? {
            guard let l = net.layer.first(where: { $0.name == name }) else { return nil }
            return l.type == "Convolution" ? l.convolutionParam.biasFiller.value : l.innerProductParam.biasFiller.value
        }
        for name in ["conv1", "conv3", "fc8"] {
            XCTAssertEqual(bias(alexnet, name), 0, name)
            XCTAssertEqual(bias(caffenet, name), 0, name)
        }
        for name in ["conv2", "conv4", "conv5", "fc6", "fc7"] {
            XCTAssertEqual(bias(alexnet, name), 0.1, name)
            XCTAssertEqual(bias(caffenet, name), 1, name)
        }
        let stds = alexnet.layer.filter { $0.type == "InnerProduct" }.map(\.innerProductParam.weightFiller.std)
        XCTAssertEqual(stds, [0.005, 0.005, 0.01])
        let groups = alexnet.layer.filter { $0.type == "Convolution" }.map(\.convolutionParam.group)
        XCTAssertEqual(groups, [1, 2, 1, 2, 2])
    }

    func testSolversMatchFacts() throws {
        for path in ["bvlc_alexnet/solver.prototxt", "bvlc_reference_caffenet/solver.prototxt"] {
            let (s, _) = try Prototxt.load(Caffe_SolverParameter.self, path: TestSupport.model(path))
            XCTAssertEqual(s.baseLr, 0.01)
            XCTAssertEqual(s.lrPolicy, "step")
            XCTAssertEqual(s.gamma, 0.1)
            XCTAssertEqual(s.stepsize, 100_000)
            XCTAssertEqual(s.maxIter, 450_000)
            XCTAssertEqual(s.momentum, 0.9)
            XCTAssertEqual(s.weightDecay, 0.0005)
            XCTAssertEqual(s.testIter, [1000])
            XCTAssertEqual(s.testInterval, 1000)
            XCTAssertEqual(s.display, 20)
            XCTAssertEqual(s.snapshot, 10_000)
        }
    }
}
