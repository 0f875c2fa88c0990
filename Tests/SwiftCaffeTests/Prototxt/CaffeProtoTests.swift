import XCTest
import CaffeProto
import SwiftProtobuf
import Foundation

/// Checks the generated caffe.proto code against files written by the real Caffe
/// (Fixtures/caffe, see its README.md).
final class CaffeProtoTests: XCTestCase {
    private static let fixtures = TestSupport.caffeFixtures

    private func fixture(_ path: String) throws -> Data {
        try Data(contentsOf: Self.fixtures.appendingPathComponent(path))
    }

    private func fixtureText(_ path: String) throws -> String {
        try String(contentsOf: Self.fixtures.appendingPathComponent(path), encoding: .utf8)
    }

    /// Every binary protobuf fixture (relative path, message type).
    private func binaryFixtures() throws -> [(String, any SwiftProtobuf.Message.Type)] {
        let manager = FileManager.default
        var found: [(String, any SwiftProtobuf.Message.Type)] = []
        for case_ in try manager.contentsOfDirectory(atPath: Self.fixtures.path).sorted() {
            var isDirectory: ObjCBool = false
            let dir = Self.fixtures.appendingPathComponent(case_)
            guard manager.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                continue
            }
            for file in try manager.contentsOfDirectory(atPath: dir.path).sorted() {
                let path = case_ + "/" + file
                if file.hasSuffix(".caffemodel") {
                    found.append((path, Caffe_NetParameter.self))
                } else if file.hasSuffix(".binaryproto") {
                    found.append((path, Caffe_BlobProtoVector.self))
                } else if file.hasSuffix(".solverstate") {
                    found.append((path, Caffe_SolverState.self))
                }
            }
        }
        return found
    }

    private func dims(_ blob: Caffe_BlobProto) -> [Int64] { blob.shape.dim }

    // MARK: - NetParameter

    func testMiniAlexNetWeightsDecode() throws {
        let net = try Caffe_NetParameter(serializedBytes: try fixture("mini_alexnet/weights.caffemodel"))
        XCTAssertEqual(net.name, "mini_alexnet")
        XCTAssertTrue(net.layers.isEmpty, "no legacy V1 layers expected")
        XCTAssertEqual(net.layer.map(\.name), [
            "data", "label", "conv1", "relu1", "norm1", "pool1", "conv2", "relu2", "pool2",
            "fc3", "relu3", "drop3", "fc4", "loss",
        ])
        XCTAssertEqual(net.layer.map(\.type), [
            "Input", "Input", "Convolution", "ReLU", "LRN", "Pooling", "Convolution", "ReLU", "Pooling",
            "InnerProduct", "ReLU", "Dropout", "InnerProduct", "SoftmaxWithLoss",
        ])

        let expectedShapes: [String: [[Int64]]] = [
            "conv1": [[8, 3, 5, 5], [8]],
            "conv2": [[8, 4, 3, 3], [8]],   // group 2: 8 input channels / 2
            "fc3": [[16, 72], [16]],        // 8 x 3 x 3 inputs
            "fc4": [[5, 16], [5]],
        ]
        for layer in net.layer {
            let expected = expectedShapes[layer.name] ?? []
            XCTAssertEqual(layer.blobs.map(dims), expected, "blob shapes of \(layer.name)")
            for blob in layer.blobs {
                let count = blob.shape.dim.reduce(1, *)
                XCTAssertEqual(Int64(blob.data.count), count, "data count of \(layer.name)")
                XCTAssertTrue(blob.diff.isEmpty, "weights.caffemodel has no diffs")
                XCTAssertTrue(blob.doubleData.isEmpty)
                XCTAssertFalse(blob.hasNum, "modern files use shape, not num/channels/height/width")
            }
            XCTAssertEqual(layer.phase, .test)
        }

        let conv1 = net.layer[2]
        XCTAssertEqual(conv1.convolutionParam.numOutput, 8)
        XCTAssertEqual(conv1.convolutionParam.kernelSize, [5])
        XCTAssertEqual(conv1.convolutionParam.stride, [2])
        XCTAssertEqual(conv1.convolutionParam.weightFiller.type, "gaussian")
        XCTAssertEqual(conv1.param.map(\.lrMult), [1, 2])
        XCTAssertEqual(conv1.param.map(\.decayMult), [1, 0])
        let conv2 = net.layer[6]
        XCTAssertEqual(conv2.convolutionParam.group, 2)
        XCTAssertEqual(conv2.convolutionParam.pad, [1])
        let norm1 = net.layer[4]
        XCTAssertEqual(norm1.lrnParam.localSize, 5)
        XCTAssertEqual(norm1.lrnParam.alpha, 0.1)
        XCTAssertEqual(norm1.lrnParam.beta, 0.75)
        XCTAssertEqual(norm1.lrnParam.k, 1, "default k")
        XCTAssertEqual(norm1.lrnParam.normRegion, .acrossChannels)
        let pool1 = net.layer[5]
        XCTAssertEqual(pool1.poolingParam.pool, .max)
        XCTAssertEqual(pool1.poolingParam.kernelSize, 3)
        XCTAssertEqual(pool1.poolingParam.stride, 2)
        XCTAssertEqual(pool1.poolingParam.roundMode, .ceil)
        XCTAssertEqual(net.layer[13].lossWeight, [1])
    }

    func testGradsCarryDiffs() throws {
        let net = try Caffe_NetParameter(serializedBytes: try fixture("mini_alexnet/grads.caffemodel"))
        let withBlobs = net.layer.filter { !$0.blobs.isEmpty }
        XCTAssertEqual(withBlobs.map(\.name), ["conv1", "conv2", "fc3", "fc4"])
        for layer in withBlobs {
            for blob in layer.blobs {
                XCTAssertEqual(blob.diff.count, blob.data.count, "diff of \(layer.name)")
            }
        }
    }

    func testNetPrototxtsParse() throws {
        for name in ["conv_group", "conv_dilated", "lrn_across", "lrn_within", "pool", "ip_softmax",
                     "mini_alexnet", "mini_caffenet", "sgd_steps"] {
            let net = try Caffe_NetParameter(textFormatString: try fixtureText("\(name)/net.prototxt"))
            XCTAssertFalse(net.layer.isEmpty, name)
        }
        let dilated = try Caffe_NetParameter(textFormatString: try fixtureText("conv_dilated/net.prototxt"))
        let convB = try XCTUnwrap(dilated.layer.first { $0.name == "conv_b" })
        XCTAssertEqual(convB.convolutionParam.kernelH, 3)
        XCTAssertEqual(convB.convolutionParam.kernelW, 5)
        XCTAssertEqual(convB.convolutionParam.dilation, [1, 2])
        XCTAssertEqual(convB.convolutionParam.group, 2)
    }

    // MARK: - BlobProtoVector

    func testBlobsBinaryprotoMatchesBlobsTxt() throws {
        let blobs = try Caffe_BlobProtoVector(serializedBytes: try fixture("mini_alexnet/blobs.binaryproto"))
        let lines = try fixtureText("mini_alexnet/blobs.txt")
            .split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(blobs.blobs.count, lines.count)
        XCTAssertEqual(lines.count, 14)
        for (blob, line) in zip(blobs.blobs, lines) {
            let fields = line.split(separator: " ")
            let shape: [Int64] = fields[2] == "scalar" ? [] : fields[2].split(separator: "x").map { Int64($0)! }
            XCTAssertEqual(blob.shape.dim, shape, "shape of \(fields[1])")
            let count = Int(shape.reduce(1, *))
            XCTAssertEqual(blob.data.count, count, "data of \(fields[1])")
            XCTAssertEqual(blob.diff.count, count, "diff of \(fields[1])")
            let sum = blob.data.reduce(0.0) { $0 + Double($1) }
            let expected = Double(fields[3])!
            XCTAssertEqual(sum, expected, accuracy: 1e-6 * max(1, abs(expected)), "sum(data) of \(fields[1])")
        }
    }

    // MARK: - SolverState / SolverParameter

    func testSolverStateDecodes() throws {
        let state = try Caffe_SolverState(serializedBytes: try fixture("sgd_steps/sgd_iter_3.solverstate"))
        XCTAssertEqual(state.iter, 3)
        XCTAssertEqual(state.learnedNet, "sgd_iter_3.caffemodel")
        XCTAssertEqual(state.currentStep, 1)
        XCTAssertEqual(state.history.map(dims), [[4, 3, 3, 3], [4], [5, 16], [5]])
        for blob in state.history {
            XCTAssertEqual(Int64(blob.data.count), blob.shape.dim.reduce(1, *))
        }
        // Caffe knows nothing of SwiftCaffe's extensions.
        XCTAssertFalse(state.hasRngState)
        XCTAssertFalse(state.hasPlateauState)
        XCTAssertFalse(state.hasDataCursor)
        XCTAssertTrue(state.unknownFields.data.isEmpty)
    }

    func testSolverPrototxtParses() throws {
        let solver = try Caffe_SolverParameter(textFormatString: try fixtureText("sgd_steps/solver.prototxt"))
        XCTAssertEqual(solver.net, "net.prototxt")
        XCTAssertEqual(solver.type, "SGD")
        XCTAssertEqual(solver.baseLr, 0.01)
        XCTAssertEqual(solver.lrPolicy, "step")
        XCTAssertEqual(solver.gamma, 0.1)
        XCTAssertEqual(solver.stepsize, 2)
        XCTAssertEqual(solver.momentum, 0.9)
        XCTAssertEqual(solver.weightDecay, 0.0005)
        XCTAssertEqual(solver.randomSeed, 1701)
        XCTAssertEqual(solver.maxIter, 3)
        XCTAssertEqual(solver.display, 1)
        XCTAssertEqual(solver.solverMode, .cpu)
        XCTAssertFalse(solver.snapshotAfterTrain)
        // Unset fields give Caffe's defaults.
        XCTAssertEqual(solver.regularizationType, "L2")
        XCTAssertEqual(solver.iterSize, 1)
        XCTAssertEqual(solver.clipGradients, -1)
        XCTAssertEqual(solver.snapshotFormat, .binaryproto)
        XCTAssertFalse(solver.hasPlateauPatience)
        XCTAssertEqual(solver.plateauMaxDrops, 3)
    }

    func testDefaultsOfUnsetFields() {
        XCTAssertEqual(Caffe_SolverParameter().solverMode, .gpu)
        XCTAssertEqual(Caffe_SolverParameter().randomSeed, -1)
        XCTAssertEqual(Caffe_SolverParameter().testInitialization, true)
        XCTAssertEqual(Caffe_NetState().phase, .test)
        XCTAssertEqual(Caffe_FillerParameter().type, "constant")
        XCTAssertEqual(Caffe_FillerParameter().std, 1)
        XCTAssertEqual(Caffe_LRNParameter().alpha, 1)
        XCTAssertEqual(Caffe_LRNParameter().k, 1)
        XCTAssertEqual(Caffe_ConvolutionParameter().biasTerm, true)
        XCTAssertEqual(Caffe_ConvolutionParameter().group, 1)
        XCTAssertEqual(Caffe_PoolingParameter().stride, 1)
        XCTAssertEqual(Caffe_DropoutParameter().dropoutRatio, 0.5)
        XCTAssertEqual(Caffe_LossParameter().normalization, .valid)
        XCTAssertEqual(Caffe_ParamSpec().lrMult, 1)
        XCTAssertEqual(Caffe_TransformationParameter().scale, 1)
        XCTAssertEqual(Caffe_TransformationParameter().pcaLightingStd, 0)
        XCTAssertEqual(Caffe_PlateauState().lrScale, 1)
    }

    // MARK: - Byte round trip

    /// Decoding a Caffe file and encoding it again gives Caffe's bytes back.
    func testBinaryFixturesRoundTripByteForByte() throws {
        let files = try binaryFixtures()
        XCTAssertGreaterThan(files.count, 20)
        for (path, type) in files {
            let bytes = try fixture(path)
            let message = try type.init(serializedBytes: bytes, extensions: nil, partial: false, options: BinaryDecodingOptions())
            let again: Data = try message.serializedBytes()
            XCTAssertEqual(again, bytes, "re-encoding \(path)")
        }
    }

    func testWeightsRoundTrip() throws {
        let bytes = try fixture("mini_alexnet/weights.caffemodel")
        let net = try Caffe_NetParameter(serializedBytes: bytes)
        let again: Data = try net.serializedBytes()
        XCTAssertEqual(again, bytes)
        XCTAssertEqual(try Caffe_NetParameter(serializedBytes: again), net)
    }

    func testSwiftCaffeExtensionsRoundTrip() throws {
        var state = Caffe_SolverState()
        state.iter = 7
        state.rngState = Data([1, 2, 3])
        state.dataCursor = 123_456_789_012
        state.plateauState.best = 0.5
        state.plateauState.runsSinceBest = 2
        state.plateauState.drops = 1
        state.plateauState.lrScale = 0.1
        let bytes: Data = try state.serializedBytes()
        XCTAssertEqual(try Caffe_SolverState(serializedBytes: bytes), state)

        var solver = Caffe_SolverParameter()
        solver.plateauPatience = 4
        solver.plateauMonitor = "accuracy"
        let text = solver.textFormatString()
        XCTAssertTrue(text.contains("plateau_patience: 4"), text)
        XCTAssertEqual(try Caffe_SolverParameter(textFormatString: text), solver)

        let transform = try Caffe_TransformationParameter(textFormatString: "crop_size: 227 pca_lighting_std: 0.1")
        XCTAssertEqual(transform.pcaLightingStd, 0.1)
        XCTAssertEqual(transform.cropSize, 227)
    }

    // MARK: - Descriptor

    func testSchemaDescriptor() throws {
        let file = CaffeSchema.file
        XCTAssertEqual(file.package, "caffe")
        XCTAssertEqual(file.syntax, "")  // proto2 leaves syntax unset
        let names = Set(file.messageType.map(\.name))
        for name in ["NetParameter", "LayerParameter", "V1LayerParameter", "V0LayerParameter", "SolverState",
                     "SolverParameter", "BlobProto", "BlobProtoVector", "Datum", "PlateauState"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertEqual(file.enumType.map(\.name), ["Phase"])

        func field(_ message: String, _ name: String) throws -> Google_Protobuf_FieldDescriptorProto {
            let descriptor = try XCTUnwrap(file.messageType.first { $0.name == message }, message)
            return try XCTUnwrap(descriptor.field.first { $0.name == name }, "\(message).\(name)")
        }
        XCTAssertEqual(try field("ConvolutionParameter", "kernel_size").number, 4)
        XCTAssertEqual(try field("ConvolutionParameter", "kernel_size").label, .repeated)
        XCTAssertEqual(try field("LayerParameter", "convolution_param").number, 106)
        XCTAssertEqual(try field("NetParameter", "layer").number, 100)
        XCTAssertEqual(try field("BlobProto", "data").options.packed, true)
        XCTAssertEqual(try field("LRNParameter", "beta").defaultValue, "0.75")
        XCTAssertEqual(try field("SolverParameter", "plateau_patience").number, 1001)
        XCTAssertEqual(try field("SolverState", "rng_state").number, 1001)
        XCTAssertEqual(try field("TransformationParameter", "pca_lighting_std").number, 1001)
    }
}
