import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Whole nets against the real Caffe: the fixtures hold Caffe's weights, every blob's
/// values after Forward and gradients after Backward, and every parameter gradient.
/// SwiftCaffe loads the same weights and inputs and must produce the same numbers.
final class CaffeFixtureNetTests: XCTestCase {
    static let cases = ["conv_group", "conv_dilated", "lrn_across", "lrn_within", "pool", "ip_softmax",
                        "mini_alexnet", "mini_caffenet"]

    struct Fixture {
        var net: Net
        var weightsBytes: Data
        var blobs: [Caffe_BlobProto]
        var grads: Caffe_NetParameter
    }

    func load(_ name: String, engine: ComputeEngine = .openblas) throws -> Fixture {
        let dir = TestSupport.caffeFixtures.appendingPathComponent(name)
        var options = NetBuildOptions()
        options.engine = engine
        let net = try NetBuilder.build(try NetDefinition.load(path: dir.appendingPathComponent("net.prototxt").path),
                                       options: options)
        let weightsBytes = try Data(contentsOf: dir.appendingPathComponent("weights.caffemodel"))
        try net.copyTrainedLayers(from: try Caffe_NetParameter(serializedBytes: weightsBytes))
        let blobs = try Caffe_BlobProtoVector(serializedBytes: try Data(contentsOf: dir.appendingPathComponent("blobs.binaryproto"))).blobs
        let grads = try Caffe_NetParameter(serializedBytes: try Data(contentsOf: dir.appendingPathComponent("grads.caffemodel")))
        XCTAssertEqual(blobs.count, net.blobs.count, name)
        // Inputs: the tops of Input layers, taken from Caffe's blob list.
        for (i, layer) in net.layers.enumerated() where layer.type == "Input" {
            for id in net.topIDs[i] { try net.blobs[id].copy(from: blobs[id]) }
        }
        return Fixture(net: net, weightsBytes: weightsBytes, blobs: blobs, grads: grads)
    }

    /// |a − b| ≤ max(relative · max(|a|, |b|), absolute) for every element.
    func assertClose(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float = 1e-6,
                     _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        var worst: (Int, Float, Float)?
        var worstExcess: Float = 0
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let excess = abs(a - e) - max(relative * max(abs(a), abs(e)), absolute)
            if excess > worstExcess { worstExcess = excess; worst = (i, a, e) }
        }
        if let (i, a, e) = worst {
            XCTFail("\(what)[\(i)]: SwiftCaffe \(a), Caffe \(e)", file: file, line: line)
        }
    }

    func testForwardMatchesCaffe() throws { try checkForward(engine: .openblas, relative: 1e-5) }
    func testBackwardMatchesCaffe() throws { try checkBackward(engine: .openblas) }

    /// The same nets on oneDNN's kernels (another summation order: 1e-4 relative).
    func testForwardMatchesCaffeOnDNNL() throws {
        try checkForward(engine: .dnnl, relative: 1e-4)
        let f = try load("mini_caffenet", engine: .dnnl)
        // Its LRN has 8 channels, where oneDNN has only a reference kernel: it stays on openblas.
        let engines = f.net.layers.filter { ["Convolution", "Pooling"].contains($0.type) }.map(\.engineDescription)
        XCTAssertFalse(engines.isEmpty)
        for engine in engines { XCTAssertTrue(engine.hasPrefix("dnnl "), engine) }
    }
    func testBackwardMatchesCaffeOnDNNL() throws { try checkBackward(engine: .dnnl) }

    func checkForward(engine: ComputeEngine, relative: Float) throws {
        for name in Self.cases {
            let f = try load(name, engine: engine)
            try f.net.forward()
            for (id, blobName) in f.net.blobNames.enumerated() {
                assertClose(f.net.blobs[id].dataArray, f.blobs[id].data, relative: relative, "\(name) \(blobName) data")
            }
        }
    }

    func checkBackward(engine: ComputeEngine) throws {
        for name in Self.cases {
            let f = try load(name, engine: engine)
            try f.net.forward()
            try f.net.backward()
            for (id, blobName) in f.net.blobNames.enumerated() where !blobName.contains("label") {
                assertClose(f.net.blobs[id].diffArray, f.blobs[id].diff, relative: 1e-4, "\(name) \(blobName) diff")
            }
            for trained in f.grads.layer where !trained.blobs.isEmpty {
                let layer = try XCTUnwrap(f.net.layer(named: trained.name))
                for (k, proto) in trained.blobs.enumerated() {
                    assertClose(layer.blobs[k].diffArray, proto.diff, relative: 1e-4, "\(name) \(trained.name) param \(k) diff")
                }
            }
        }
    }

    /// Net::ToProto of the loaded weights is byte for byte Caffe's weights.caffemodel.
    func testCaffemodelBytesMatchCaffe() throws {
        for name in Self.cases {
            let f = try load(name)
            let bytes: Data = try f.net.toProto().serializedBytes()
            XCTAssertEqual(bytes, f.weightsBytes, name)
        }
    }

    /// Both reference nets at batch 2, DummyData standing in for the LMDB layers:
    /// finite outputs and gradients, and an initial loss near ln(1000).
    func testReferenceTrainValNetsRunWithDummyData() throws {
        for path in ["bvlc_alexnet/train_val.prototxt", "bvlc_reference_caffenet/train_val.prototxt"] {
            var definition = try NetDefinition.load(path: TestSupport.model(path))
            for i in definition.param.layer.indices where definition.param.layer[i].type == "Data" {
                var dummy = Caffe_LayerParameter()
                dummy.name = definition.param.layer[i].name
                dummy.type = "DummyData"
                dummy.top = definition.param.layer[i].top
                dummy.include = definition.param.layer[i].include
                var data = Caffe_BlobShape(), label = Caffe_BlobShape()
                data.dim = [2, 3, 227, 227]
                label.dim = [2]
                dummy.dummyDataParam.shape = [data, label]
                var gaussian = Caffe_FillerParameter()
                gaussian.type = "gaussian"
                gaussian.std = 50
                var constant = Caffe_FillerParameter()
                constant.type = "constant"
                constant.value = 7
                dummy.dummyDataParam.dataFiller = [gaussian, constant]
                definition.param.layer[i] = dummy
            }
            let net = try NetBuilder.build(definition, options: NetBuildOptions(phase: .train))
            let loss = try net.forward()
            XCTAssertEqual(loss, Float(log(1000.0)), accuracy: 0.05, path)
            try net.backward()
            for blob in net.learnableParams {
                XCTAssertTrue(blob.diffBuffer.allSatisfy(\.isFinite), path)
            }
            XCTAssertTrue(net.learnableParams[0].diffBuffer.contains { $0 != 0 }, "conv1 learns")
        }
    }
}
