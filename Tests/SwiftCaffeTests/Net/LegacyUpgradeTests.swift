import CaffeProto
import Foundation
import SwiftProtobuf
import XCTest

@testable import SwiftCaffe

final class LegacyUpgradeTests: XCTestCase {

    // MARK: - Helpers

    private static let projectRoot = TestSupport.packageRoot

    private func fixture(_ name: String) throws -> String {
        let url = TestSupport.fixtures.appendingPathComponent("legacy/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    private func loadNet(_ text: String) throws -> Caffe_NetParameter {
        try Caffe_NetParameter(textFormatString: text)
    }

    private func v1(_ name: String, _ type: Caffe_V1LayerParameter.LayerType,
                    bottom: [String] = [], top: [String] = []) -> Caffe_V1LayerParameter {
        var layer = Caffe_V1LayerParameter()
        layer.name = name
        layer.type = type
        layer.bottom = bottom
        layer.top = top
        return layer
    }

    /// Runs `body`, expecting a `.semantic` SwiftCaffeError; returns it.
    @discardableResult
    private func expectSemanticError(_ body: () throws -> Void, file: StaticString = #filePath,
                                     line: UInt = #line) -> SwiftCaffeError? {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch let error as SwiftCaffeError {
            XCTAssertEqual(error.kind, .semantic, file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: - V1 layers

    func testV1TypesBecomeTypeStrings() throws {
        let expected: [(Caffe_V1LayerParameter.LayerType, String)] = [
            (.convolution, "Convolution"), (.innerProduct, "InnerProduct"), (.relu, "ReLU"),
            (.lrn, "LRN"), (.pooling, "Pooling"), (.softmaxLoss, "SoftmaxWithLoss"),
            (.data, "Data"), (.imageData, "ImageData"), (.dropout, "Dropout"), (.softmax, "Softmax"),
            (.accuracy, "Accuracy"), (.concat, "Concat"), (.eltwise, "Eltwise"), (.tanh, "TanH"),
            (.sigmoid, "Sigmoid"), (.hdf5Data, "HDF5Data"), (.hdf5Output, "HDF5Output"),
            (.im2Col, "Im2col"), (.memoryData, "MemoryData"), (.windowData, "WindowData"),
            (.euclideanLoss, "EuclideanLoss"), (.absval, "AbsVal"), (.argmax, "ArgMax"),
            (.bnll, "BNLL"), (.mvn, "MVN"), (.deconvolution, "Deconvolution"),
            (.dummyData, "DummyData"), (.multinomialLogisticLoss, "MultinomialLogisticLoss"),
            (.sigmoidCrossEntropyLoss, "SigmoidCrossEntropyLoss"), (.silence, "Silence"),
            (.contrastiveLoss, "ContrastiveLoss"), (.infogainLoss, "InfogainLoss"),
            (.hingeLoss, "HingeLoss"), (.split, "Split"), (.slice, "Slice"), (.flatten, "Flatten"),
            (.power, "Power"), (.exp, "Exp"), (.threshold, "Threshold"),
        ]
        var net = Caffe_NetParameter()
        for (i, (type, _)) in expected.enumerated() {
            net.layers.append(v1("l\(i)", type, bottom: ["b\(i)"], top: ["t\(i)"]))
        }
        let notes = try LegacyUpgrade.upgrade(&net)
        XCTAssertFalse(notes.isEmpty)
        XCTAssertTrue(net.layers.isEmpty)
        XCTAssertEqual(net.layer.map(\.type), expected.map(\.1))

        // Every V1 type except NONE has a distinct, non-empty name.
        let names = Caffe_V1LayerParameter.LayerType.allCases.filter { $0 != .none }
            .map { LegacyUpgrade.typeName(of: $0) }
        XCTAssertFalse(names.contains(""))
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(LegacyUpgrade.typeName(of: Caffe_V1LayerParameter.LayerType.none), "")
    }

    func testBlobSettingsBecomeParamSpecs() throws {
        var conv = v1("conv", .convolution, bottom: ["data"], top: ["conv"])
        conv.blobsLr = [1, 2]
        conv.weightDecay = [1, 0]
        conv.param = ["conv_w", "conv_b"]
        conv.blobShareMode = [.permissive]
        var ip = v1("ip", .innerProduct, bottom: ["conv"], top: ["ip"])
        ip.blobsLr = [0.5, 1, 3]  // longer than weight_decay: three specs
        ip.weightDecay = [2]
        var net = Caffe_NetParameter()
        net.layers = [conv, ip]
        try LegacyUpgrade.upgrade(&net)

        let c = net.layer[0].param
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(c[0].name, "conv_w")
        XCTAssertEqual(c[0].lrMult, 1)
        XCTAssertEqual(c[0].decayMult, 1)
        XCTAssertEqual(c[0].shareMode, .permissive)
        XCTAssertEqual(c[1].name, "conv_b")
        XCTAssertEqual(c[1].lrMult, 2)
        XCTAssertEqual(c[1].decayMult, 0)
        XCTAssertTrue(c[1].hasDecayMult)
        XCTAssertFalse(c[1].hasShareMode)

        let p = net.layer[1].param
        XCTAssertEqual(p.map(\.lrMult), [0.5, 1, 3])
        XCTAssertEqual(p[0].decayMult, 2)
        XCTAssertFalse(p[1].hasDecayMult)
        XCTAssertFalse(p[2].hasDecayMult)
        XCTAssertFalse(p[0].hasName)

        // A layer with no per-blob settings gets no param entries.
        var relu = Caffe_NetParameter()
        relu.layers = [v1("relu", .relu, bottom: ["x"], top: ["x"])]
        try LegacyUpgrade.upgrade(&relu)
        XCTAssertTrue(relu.layer[0].param.isEmpty)
    }

    func testOrderAndOtherFieldsArePreserved() throws {
        var net = Caffe_NetParameter()
        net.name = "legacy"
        net.forceBackward = true
        var data = v1("data", .data, top: ["data", "label"])
        var train = Caffe_NetStateRule()
        train.phase = .train
        data.include = [train]
        data.dataParam.source = "train_lmdb"
        data.dataParam.batchSize = 64
        var conv = v1("conv1", .convolution, bottom: ["data"], top: ["conv1"])
        conv.convolutionParam.numOutput = 20
        conv.convolutionParam.kernelSize = [5]
        conv.convolutionParam.weightFiller.type = "xavier"
        var pool = v1("pool1", .pooling, bottom: ["conv1"], top: ["pool1"])
        pool.poolingParam.pool = .ave
        pool.poolingParam.kernelSize = 2
        var test = Caffe_NetStateRule()
        test.phase = .test
        pool.exclude = [test]
        var loss = v1("loss", .softmaxLoss, bottom: ["pool1", "label"], top: ["loss"])
        loss.lossWeight = [0.5]
        loss.lossParam.ignoreLabel = 3
        net.layers = [data, conv, pool, loss]

        try LegacyUpgrade.upgrade(&net)
        XCTAssertEqual(net.name, "legacy")
        XCTAssertTrue(net.forceBackward)
        XCTAssertEqual(net.layer.map(\.name), ["data", "conv1", "pool1", "loss"])
        XCTAssertEqual(net.layer[0].top, ["data", "label"])
        XCTAssertEqual(net.layer[0].include.first?.phase, .train)
        XCTAssertEqual(net.layer[0].dataParam.source, "train_lmdb")
        XCTAssertEqual(net.layer[0].dataParam.batchSize, 64)
        XCTAssertFalse(net.layer[0].hasTransformParam)
        XCTAssertEqual(net.layer[1].bottom, ["data"])
        XCTAssertEqual(net.layer[1].convolutionParam, conv.convolutionParam)
        XCTAssertEqual(net.layer[2].poolingParam, pool.poolingParam)
        XCTAssertEqual(net.layer[2].exclude.first?.phase, .test)
        XCTAssertEqual(net.layer[3].bottom, ["pool1", "label"])
        XCTAssertEqual(net.layer[3].lossWeight, [0.5])
        XCTAssertEqual(net.layer[3].lossParam.ignoreLabel, 3)
        XCTAssertFalse(LegacyUpgrade.needsUpgrade(net))
    }

    func testDataTransformationFieldsMoveToTransformParam() throws {
        var data = v1("data", .data, top: ["data", "label"])
        data.dataParam.source = "examples/imagenet/ilsvrc12_train_lmdb"
        data.dataParam.batchSize = 256
        data.dataParam.meanFile = "mean.binaryproto"
        data.dataParam.cropSize = 227
        data.dataParam.mirror = true
        data.dataParam.scale = 0.5
        var images = v1("images", .imageData, top: ["img", "lbl"])
        images.imageDataParam.source = "list.txt"
        images.imageDataParam.cropSize = 32
        var conv = v1("conv", .convolution, bottom: ["data"], top: ["conv"])
        conv.convolutionParam.numOutput = 1
        var net = Caffe_NetParameter()
        net.layers = [data, images, conv]

        let notes = try LegacyUpgrade.upgrade(&net)
        let d = net.layer[0]
        XCTAssertEqual(d.transformParam.meanFile, "mean.binaryproto")
        XCTAssertEqual(d.transformParam.cropSize, 227)
        XCTAssertTrue(d.transformParam.mirror)
        XCTAssertEqual(d.transformParam.scale, 0.5)
        XCTAssertFalse(d.dataParam.hasMeanFile)
        XCTAssertFalse(d.dataParam.hasCropSize)
        XCTAssertFalse(d.dataParam.hasMirror)
        XCTAssertFalse(d.dataParam.hasScale)
        XCTAssertEqual(d.dataParam.source, "examples/imagenet/ilsvrc12_train_lmdb")
        XCTAssertEqual(d.dataParam.batchSize, 256)

        let i = net.layer[1]
        XCTAssertEqual(i.transformParam.cropSize, 32)
        XCTAssertFalse(i.transformParam.hasMeanFile)
        XCTAssertFalse(i.imageDataParam.hasCropSize)
        XCTAssertEqual(i.imageDataParam.source, "list.txt")

        XCTAssertFalse(net.layer[2].hasTransformParam)
        XCTAssertTrue(notes.contains { $0.contains("'data'") && $0.contains("transform_param") })
    }

    // MARK: - Net-level inputs

    func testInputDimBecomesFirstInputLayer() throws {
        var net = try loadNet(fixture("alexnet_v1.prototxt"))
        XCTAssertTrue(LegacyUpgrade.needsUpgrade(net))
        XCTAssertEqual(net.layers.count, 23)
        let notes = try LegacyUpgrade.upgrade(&net)
        XCTAssertFalse(notes.isEmpty)

        XCTAssertEqual(net.layer.count, 24)
        let input = net.layer[0]
        XCTAssertEqual(input.name, "input")
        XCTAssertEqual(input.type, "Input")
        XCTAssertEqual(input.top, ["data"])
        XCTAssertEqual(input.inputParam.shape.map(\.dim), [[10, 3, 227, 227]])
        XCTAssertEqual(net.layer[1].name, "conv1")
        XCTAssertEqual(net.layer.last?.name, "prob")
        XCTAssertTrue(net.input.isEmpty)
        XCTAssertTrue(net.inputDim.isEmpty)
        XCTAssertTrue(net.inputShape.isEmpty)
        XCTAssertFalse(LegacyUpgrade.needsUpgrade(net))
        XCTAssertEqual(try LegacyUpgrade.upgrade(&net), [])
    }

    func testInputShapeBecomesFirstInputLayer() throws {
        var net = try loadNet(fixture("deploy_input_shape.prototxt"))
        XCTAssertTrue(LegacyUpgrade.needsUpgrade(net))
        try LegacyUpgrade.upgrade(&net)
        XCTAssertEqual(net.layer.map(\.name), ["input", "conv1", "relu1", "pool1"])
        XCTAssertEqual(net.layer[0].type, "Input")
        XCTAssertEqual(net.layer[0].top, ["data"])
        XCTAssertEqual(net.layer[0].inputParam.shape.map(\.dim), [[1, 3, 227, 227]])
        XCTAssertTrue(net.input.isEmpty)
        XCTAssertTrue(net.inputShape.isEmpty)
    }

    func testSeveralInputsWithDims() throws {
        var net = Caffe_NetParameter()
        net.input = ["data", "label"]
        net.inputDim = [2, 3, 8, 8, 2, 1, 1, 1]
        var ip = Caffe_LayerParameter()
        ip.name = "ip"
        ip.type = "InnerProduct"
        ip.bottom = ["data"]
        ip.top = ["ip"]
        net.layer = [ip]
        try LegacyUpgrade.upgrade(&net)
        XCTAssertEqual(net.layer.map(\.name), ["input", "ip"])
        XCTAssertEqual(net.layer[0].top, ["data", "label"])
        XCTAssertEqual(net.layer[0].inputParam.shape.map(\.dim), [[2, 3, 8, 8], [2, 1, 1, 1]])
    }

    func testInputsWithoutShapesAreDropped() throws {
        var net = Caffe_NetParameter()
        net.input = ["data"]
        var relu = Caffe_LayerParameter()
        relu.name = "relu"
        relu.type = "ReLU"
        net.layer = [relu]
        let notes = try LegacyUpgrade.upgrade(&net)
        XCTAssertEqual(net.layer.map(\.name), ["relu"])
        XCTAssertTrue(net.input.isEmpty)
        XCTAssertEqual(notes.count, 1)
    }

    // MARK: - The V1 AlexNet fixture is the AlexNet deploy net

    func testUpgradedV1AlexNetEqualsDeployNet() throws {
        var legacy = try loadNet(fixture("alexnet_v1.prototxt"))
        try LegacyUpgrade.upgrade(&legacy)
        let deployURL = Self.projectRoot.appendingPathComponent("models/bvlc_alexnet/deploy.prototxt")
        var deploy = try loadNet(String(contentsOf: deployURL, encoding: .utf8))
        XCTAssertFalse(LegacyUpgrade.needsUpgrade(deploy))
        XCTAssertEqual(try LegacyUpgrade.upgrade(&deploy), [])

        XCTAssertEqual(legacy.name, deploy.name)
        XCTAssertEqual(legacy.layer.count, deploy.layer.count)
        XCTAssertEqual(legacy.layer.first?.name, "input")
        XCTAssertEqual(deploy.layer.first?.name, "data")
        for (a, b) in zip(legacy.layer, deploy.layer) {
            let which = "layer \(b.name)"
            if b.type != "Input" { XCTAssertEqual(a.name, b.name, which) }
            XCTAssertEqual(a.type, b.type, which)
            XCTAssertEqual(a.bottom, b.bottom, which)
            XCTAssertEqual(a.top, b.top, which)
            XCTAssertEqual(a.param, b.param, which)
            XCTAssertEqual(a.inputParam, b.inputParam, which)
            XCTAssertEqual(a.convolutionParam, b.convolutionParam, which)
            XCTAssertEqual(a.poolingParam, b.poolingParam, which)
            XCTAssertEqual(a.lrnParam, b.lrnParam, which)
            XCTAssertEqual(a.innerProductParam, b.innerProductParam, which)
            XCTAssertEqual(a.dropoutParam, b.dropoutParam, which)
        }
        // Nothing else differs either.
        legacy.layer[0].name = "data"
        XCTAssertEqual(legacy.layer, deploy.layer)

        // Spot checks against the facts of the net.
        let byName = Dictionary(uniqueKeysWithValues: legacy.layer.map { ($0.name, $0) })
        XCTAssertEqual(byName["conv2"]?.convolutionParam.group, 2)
        XCTAssertEqual(byName["conv3"]?.convolutionParam.hasGroup, false)
        XCTAssertEqual(byName["conv4"]?.convolutionParam.group, 2)
        XCTAssertEqual(byName["conv5"]?.convolutionParam.group, 2)
        XCTAssertEqual(byName["norm1"]?.bottom, ["conv1"])
        XCTAssertEqual(byName["pool1"]?.bottom, ["norm1"])
        XCTAssertEqual(byName["relu6"]?.top, ["fc6"])
        XCTAssertEqual(byName["fc8"]?.param.map(\.lrMult), [1, 2])
        XCTAssertEqual(byName["fc8"]?.param.map(\.decayMult), [1, 0])
    }

    // MARK: - Errors

    func testMixingLayerAndLayersIsRefused() {
        var net = Caffe_NetParameter()
        net.layers = [v1("conv1", .convolution, bottom: ["data"], top: ["conv1"])]
        var relu = Caffe_LayerParameter()
        relu.name = "relu1"
        relu.type = "ReLU"
        net.layer = [relu]
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&net) }
        XCTAssertTrue(error?.message.contains("mixes") ?? false)
        XCTAssertNotNil(error?.hint)
    }

    func testV0NetIsRefused() throws {
        let text = """
            name: "v0"
            layers {
              layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 3 }
              bottom: "data"
              top: "conv1"
            }
            """
        var net = try loadNet(text)
        XCTAssertTrue(LegacyUpgrade.needsUpgrade(net))
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&net) }
        XCTAssertEqual(error?.message,
                       "V0 nets are not supported: upgrade with Caffe's upgrade_net_proto_text first")
        XCTAssertEqual(error?.layer, "conv1")
    }

    func testV1LayerWithoutTypeIsRefused() {
        var net = Caffe_NetParameter()
        var layer = Caffe_V1LayerParameter()
        layer.name = "mystery"
        net.layers = [layer]
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&net) }
        XCTAssertEqual(error?.layer, "mystery")
    }

    func testInputDimCountMustBeFourPerInput() {
        var notMultiple = Caffe_NetParameter()
        notMultiple.input = ["data"]
        notMultiple.inputDim = [10, 3, 227]
        let e1 = expectSemanticError { try LegacyUpgrade.upgrade(&notMultiple) }
        XCTAssertEqual(e1?.field, "input_dim")

        var tooMany = Caffe_NetParameter()
        tooMany.input = ["data"]
        tooMany.inputDim = [10, 3, 227, 227, 10, 1, 1, 1]
        expectSemanticError { try LegacyUpgrade.upgrade(&tooMany) }

        var noInput = Caffe_NetParameter()
        noInput.inputDim = [1, 3, 8, 8]
        expectSemanticError { try LegacyUpgrade.upgrade(&noInput) }
    }

    func testInputShapeCountMustMatchInputs() {
        var net = Caffe_NetParameter()
        net.input = ["data", "label"]
        var shape = Caffe_BlobShape()
        shape.dim = [1, 3, 8, 8]
        net.inputShape = [shape]
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&net) }
        XCTAssertEqual(error?.field, "input_shape")
    }

    func testInputDimAndInputShapeTogetherAreRefused() {
        var net = Caffe_NetParameter()
        net.input = ["data"]
        net.inputDim = [1, 3, 8, 8]
        var shape = Caffe_BlobShape()
        shape.dim = [1, 3, 8, 8]
        net.inputShape = [shape]
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&net) }
        XCTAssertTrue(error?.message.contains("input_shape") ?? false)
    }

    // MARK: - BatchNorm

    func testBatchNormWithThreeParamsStopsLearning() throws {
        var bn = Caffe_LayerParameter()
        bn.name = "bn1"
        bn.type = "BatchNorm"
        bn.param = [Caffe_ParamSpec(), Caffe_ParamSpec(), Caffe_ParamSpec()]
        bn.param[0].name = "shared_mean"
        var net = Caffe_NetParameter()
        net.layer = [bn]
        XCTAssertTrue(LegacyUpgrade.needsUpgrade(net))
        let notes = try LegacyUpgrade.upgrade(&net)
        XCTAssertEqual(notes.count, 1)
        XCTAssertEqual(net.layer[0].param.map(\.lrMult), [0, 0, 0])
        XCTAssertEqual(net.layer[0].param.map(\.decayMult), [0, 0, 0])
        XCTAssertEqual(net.layer[0].param[0].name, "shared_mean")
        XCTAssertFalse(LegacyUpgrade.needsUpgrade(net))
    }

    // MARK: - Solvers

    func testSolverTypeEnumBecomesTypeString() throws {
        let expected: [(Caffe_SolverParameter.SolverType, String)] = [
            (.sgd, "SGD"), (.nesterov, "Nesterov"), (.adagrad, "AdaGrad"),
            (.rmsprop, "RMSProp"), (.adadelta, "AdaDelta"), (.adam, "Adam"),
        ]
        for (old, new) in expected {
            var solver = Caffe_SolverParameter()
            solver.solverType = old
            let notes = try LegacyUpgrade.upgrade(&solver)
            XCTAssertEqual(solver.type, new)
            XCTAssertTrue(solver.hasType)
            XCTAssertFalse(solver.hasSolverType)
            XCTAssertEqual(notes.count, 1)
        }
        var current = Caffe_SolverParameter()
        current.type = "Adam"
        XCTAssertEqual(try LegacyUpgrade.upgrade(&current), [])
        XCTAssertEqual(current.type, "Adam")
    }

    func testSolverFixture() throws {
        var solver = try Caffe_SolverParameter(textFormatString: fixture("solver_v1.prototxt"))
        XCTAssertTrue(solver.hasSolverType)
        XCTAssertEqual(solver.solverType, .nesterov)
        let notes = try LegacyUpgrade.upgrade(&solver)
        XCTAssertEqual(solver.type, "Nesterov")
        XCTAssertFalse(solver.hasSolverType)
        XCTAssertEqual(solver.baseLr, 0.01)
        XCTAssertEqual(solver.momentum, 0.9)
        XCTAssertEqual(notes.count, 1)
    }

    func testSolverTypeAndSolverTypeEnum() throws {
        var agree = Caffe_SolverParameter()
        agree.solverType = .adagrad
        agree.type = "AdaGrad"
        XCTAssertEqual(try LegacyUpgrade.upgrade(&agree).count, 1)
        XCTAssertEqual(agree.type, "AdaGrad")
        XCTAssertFalse(agree.hasSolverType)

        var disagree = Caffe_SolverParameter()
        disagree.solverType = .nesterov
        disagree.type = "Adam"
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&disagree) }
        XCTAssertEqual(error?.field, "solver_type")
    }

    func testInlineSolverNetsAreUpgraded() throws {
        var solver = Caffe_SolverParameter()
        solver.netParam.layers = [v1("relu", .relu, bottom: ["x"], top: ["x"])]
        let notes = try LegacyUpgrade.upgrade(&solver)
        XCTAssertEqual(solver.netParam.layer.map(\.type), ["ReLU"])
        XCTAssertTrue(notes.allSatisfy { $0.hasPrefix("net_param: ") })

        var bad = Caffe_SolverParameter()
        bad.trainNetParam.input = ["data"]
        bad.trainNetParam.inputDim = [1, 2, 3]
        let error = expectSemanticError { try LegacyUpgrade.upgrade(&bad) }
        XCTAssertEqual(error?.field, "train_net_param.input_dim")
    }
}
