import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Caffe's net assembly rules: filtering, splits, in-place tops, loss weights,
/// backward needs, outputs and parameter sharing.
final class NetBuilderTests: XCTestCase {
    /// Blob names and shapes, in Caffe's `net.blob_names()` order, from the fixture's blobs.txt.
    func caffeBlobs(_ fixture: String) throws -> [(name: String, shape: String)] {
        let text = try String(contentsOf: TestSupport.caffeFixtures.appendingPathComponent("\(fixture)/blobs.txt"),
                              encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: " ")
            return (String(parts[1]), String(parts[2]))
        }
    }

    /// Our blob list (names, order, shapes, split names) equals the real Caffe's for every fixture.
    func testBlobNamesAndShapesMatchCaffeFixtures() throws {
        for fixture in ["conv_group", "conv_dilated", "lrn_across", "lrn_within", "pool", "ip_softmax",
                        "mini_alexnet", "mini_caffenet"] {
            let path = TestSupport.caffeFixtures.appendingPathComponent("\(fixture)/net.prototxt").path
            let net = try NetBuilder.build(try NetDefinition.load(path: path))
            let expected = try caffeBlobs(fixture)
            XCTAssertEqual(net.blobNames, expected.map(\.name), fixture)
            XCTAssertEqual(net.blobs.map(\.shapeString), expected.map(\.shape), fixture)
        }
    }

    func testForceBackwardSkipsLabels() throws {
        let path = TestSupport.caffeFixtures.appendingPathComponent("ip_softmax/net.prototxt").path
        let net = try NetBuilder.build(try NetDefinition.load(path: path))
        let loss = net.layers.firstIndex { $0.name == "loss" }!
        XCTAssertEqual(net.bottomNeedsBackward[loss], [true, false])
        let accuracy = net.layers.firstIndex { $0.name == "accuracy" }!
        XCTAssertEqual(net.bottomNeedsBackward[accuracy], [false, false])
        XCTAssertEqual(net.outputNames, ["accuracy", "loss"])
    }

    func testInPlaceTopsShareTheBlob() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "relu" type: "ReLU" bottom: "x" top: "x" }
            layer { name: "drop" type: "Dropout" bottom: "x" top: "x" }
            """)
        XCTAssertEqual(net.blobs.count, 1)
        XCTAssertEqual(net.topIDs, [[0], [0], [0]])
        XCTAssertEqual(net.outputNames, ["x"])
    }

    let staged = """
        layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 4 dim: 3 } } }
        layer { name: "train_only" type: "ReLU" bottom: "x" top: "a" include { phase: TRAIN } }
        layer { name: "test_only" type: "ReLU" bottom: "x" top: "b" include { phase: TEST } }
        layer { name: "deep" type: "ReLU" bottom: "x" top: "c" include { min_level: 2 } }
        layer { name: "shallow" type: "ReLU" bottom: "x" top: "d" include { max_level: 0 } }
        layer { name: "staged" type: "ReLU" bottom: "x" top: "e" include { stage: "fine" stage: "tune" } }
        layer { name: "not_deploy" type: "ReLU" bottom: "x" top: "f" exclude { stage: "deploy" } }
        layer { name: "either" type: "ReLU" bottom: "x" top: "g" include { phase: TRAIN } include { stage: "x" } }
        layer { name: "not_staged" type: "ReLU" bottom: "x" top: "h" include { not_stage: "deploy" } }
        """

    func names(_ options: NetBuildOptions) throws -> [String] {
        try TestSupport.buildNet(staged, options: options).layers.map(\.name).filter { !$0.hasSuffix("_split") }
    }

    func testIncludeExcludeByPhaseLevelAndStage() throws {
        XCTAssertEqual(try names(NetBuildOptions()),
                       ["in", "test_only", "shallow", "not_deploy", "not_staged"])
        XCTAssertEqual(try names(NetBuildOptions(phase: .train)),
                       ["in", "train_only", "shallow", "not_deploy", "either", "not_staged"])
        XCTAssertEqual(try names(NetBuildOptions(level: 2)),
                       ["in", "test_only", "deep", "not_deploy", "not_staged"])
        XCTAssertEqual(try names(NetBuildOptions(stages: ["fine", "tune"])),
                       ["in", "test_only", "shallow", "staged", "not_deploy", "not_staged"])
        XCTAssertEqual(try names(NetBuildOptions(stages: ["deploy", "x"])),
                       ["in", "test_only", "shallow", "either"])
    }

    func testFileStateIsTheDefaultAndFlagsOverride() throws {
        let text = "state { phase: TRAIN level: 3 stage: \"fine\" stage: \"tune\" }\n" + staged
        let net = try TestSupport.buildNet(text)
        XCTAssertEqual(net.state.phase, .train)
        XCTAssertEqual(net.layers.map(\.name).filter { !$0.hasSuffix("_split") },
                       ["in", "train_only", "deep", "staged", "not_deploy", "either", "not_staged"])
        let overridden = try TestSupport.buildNet(text, options: NetBuildOptions(phase: .test, level: 0))
        XCTAssertEqual(overridden.layers.map(\.name).filter { !$0.hasSuffix("_split") },
                       ["in", "test_only", "shallow", "staged", "not_deploy", "not_staged"])
    }

    func testWeightedLossThatIsAlsoConsumedGetsASplitCarryingTheWeight() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "a" top: "b" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "a" bottom: "b" top: "l" loss_weight: 2 }
            layer { name: "use" type: "ReLU" bottom: "l" top: "r" }
            """)
        let split = try XCTUnwrap(net.layer(named: "l_loss_0_split"))
        XCTAssertEqual(split.lossWeights, [2, 0])
        XCTAssertEqual(net.layer(named: "loss")?.lossWeights, [0])
        let use = net.layers.firstIndex { $0.name == "use" }!
        XCTAssertEqual(net.bottomIDs[use].map { net.blobNames[$0] }, ["l_loss_0_split_1"])
    }

    func testLossLayersDefaultToWeightOneAndOthersToZero() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "s" top: "y" input_param { shape { dim: 2 dim: 5 } shape { dim: 2 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s" bottom: "y" top: "loss" top: "prob" }
            """)
        XCTAssertEqual(net.layer(named: "loss")?.lossWeights, [1, 0])
        XCTAssertEqual(net.layer(named: "in")?.lossWeights, [0, 0])
    }

    func testLayersThatReachNoLossSkipBackward() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" top: "y" input_param { shape { dim: 2 dim: 5 } shape { dim: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "s" inner_product_param { num_output: 3 } }
            layer { name: "side" type: "InnerProduct" bottom: "x" top: "t" inner_product_param { num_output: 3 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s" bottom: "y" top: "loss" }
            """)
        let needs = Dictionary(uniqueKeysWithValues: zip(net.layers.map(\.name), net.layerNeedsBackward))
        XCTAssertEqual(needs["ip"], true)
        XCTAssertEqual(needs["side"], false)
        XCTAssertEqual(needs["loss"], true)
        XCTAssertEqual(net.outputNames, ["loss", "t"])
    }

    func testFrozenLayersNeedNoBackwardBelowThem() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "x" top: "y" input_param { shape { dim: 2 dim: 5 } shape { dim: 2 } } }
            layer { name: "frozen" type: "InnerProduct" bottom: "x" top: "h" param { lr_mult: 0 } param { lr_mult: 0 }
                    inner_product_param { num_output: 4 } }
            layer { name: "relu" type: "ReLU" bottom: "h" top: "h" }
            layer { name: "ip" type: "InnerProduct" bottom: "h" top: "s" inner_product_param { num_output: 3 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s" bottom: "y" top: "loss" }
            """)
        let needs = Dictionary(uniqueKeysWithValues: zip(net.layers.map(\.name), net.layerNeedsBackward))
        XCTAssertEqual(needs["frozen"], false)
        XCTAssertEqual(needs["relu"], false)
        XCTAssertEqual(needs["ip"], true)
        XCTAssertEqual(net.paramLearningRateMultipliers, [0, 0, 1, 1])
    }

    func testParametersSharedByNameAreOneBlob() throws {
        let net = try TestSupport.buildNet("""
            layer { name: "in" type: "Input" top: "a" top: "b" input_param { shape { dim: 2 dim: 5 } } }
            layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "fa" param { name: "w" } param { name: "bias" }
                    inner_product_param { num_output: 3 } }
            layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "fb" param { name: "w" } param { name: "bias" }
                    inner_product_param { num_output: 3 } }
            """)
        XCTAssertTrue(net.layer(named: "ip_a")!.blobs[0] === net.layer(named: "ip_b")!.blobs[0])
        XCTAssertEqual(net.learnableParams.count, 2)
        XCTAssertEqual(net.parameterCount, 18)
        XCTAssertEqual(NetSummary(net: net).totalParameters, 18)
    }

    func testLegacyV1AndInputDimNetsBuild() throws {
        let v1 = TestSupport.fixtures.appendingPathComponent("legacy/alexnet_v1.prototxt").path
        let net = try NetBuilder.build(try NetDefinition.load(path: v1), options: NetBuildOptions(inspectOnly: true))
        let summary = NetSummary(net: net)
        XCTAssertEqual(summary.totalParameters, ReferenceModelTests.parameters)
        XCTAssertEqual(summary.totalMultiplyAddsPerImage, ReferenceModelTests.multiplyAdds)
        XCTAssertFalse(net.notes.isEmpty, "the upgrade is reported")
        let shaped = TestSupport.fixtures.appendingPathComponent("legacy/deploy_input_shape.prototxt").path
        let net2 = try NetBuilder.build(try NetDefinition.load(path: shaped))
        XCTAssertEqual(net2.blob(named: "data")?.shape, [1, 3, 227, 227])
    }

    func testCaffeFormattingVariantsBuild() throws {
        // Comments, odd spacing, one line, semicolons, list syntax, angle brackets.
        let net = try TestSupport.buildNet("""
            # a comment before everything
            name:"odd"   layer{name:"in";type:"Input";top:"x" input_param<shape{dim:[2,3,9,9]}>}
            layer {   # trailing comment
              name: 'conv'  type: "Convolution"
              bottom: "x"
              top: "y"
              convolution_param: { num_output: 4 kernel_h: 3 kernel_w: 5 pad_w: 1 pad_h: 0 stride: 2 }
            }
            """)
        XCTAssertEqual(net.blob(named: "y")?.shape, [2, 4, 4, 4])
    }
}
