import CaffeProto
import XCTest
@testable import SwiftCaffe

/// `Layer.setUp`, the one entry point nets and tests set a layer up with.
final class LayerSetUpTests: XCTestCase {
    func testCountsAreCheckedForALayerUsedAlone() throws {
        let relu = try LayerTest.make(#"name: "r" type: "ReLU""#)
        let twoTops = TestSupport.error { _ = try LayerTest.setUp(relu, bottom: [Blob(2)], tops: 2) }
        XCTAssertEqual(twoTops?.message, "ReLU takes exactly 1 top, got 2")
        XCTAssertEqual(twoTops?.field, "top")
        XCTAssertEqual(twoTops?.layer, "r")

        let loss = try LayerTest.make(#"name: "loss" type: "SoftmaxWithLoss""#)
        let oneBottom = TestSupport.error { _ = try LayerTest.setUp(loss, bottom: [Blob(2, 3)]) }
        XCTAssertEqual(oneBottom?.message, "SoftmaxWithLoss takes exactly 2 bottoms, got 1")
        XCTAssertEqual(oneBottom?.layer, "loss")
    }

    func testErrorsFromInitAndFromShapingNameTheLayer() throws {
        let fromInit = TestSupport.error { _ = try LayerTest.make(#"name: "d" type: "Dropout" dropout_param { dropout_ratio: 1 }"#) }
        XCTAssertEqual(fromInit?.layer, "d")
        XCTAssertEqual(fromInit?.field, "dropout_param.dropout_ratio")

        let conv = try LayerTest.make(#"name: "c" type: "Convolution" convolution_param { num_output: 4 kernel_size: 3 group: 4 }"#)
        let fromSetUp = TestSupport.error { _ = try LayerTest.setUp(conv, bottom: [Blob(1, 6, 5, 5)]) }
        XCTAssertEqual(fromSetUp?.layer, "c")
        XCTAssertEqual(fromSetUp?.field, "convolution_param.group")
    }

    func testLossWeightsAreSetAsInANet() throws {
        let loss = try LayerTest.make(#"type: "EuclideanLoss""#)
        _ = try LayerTest.setUp(loss, bottom: [Blob(2, 3), Blob(2, 3)])
        XCTAssertEqual(loss.lossWeights, [1])

        let weighted = try LayerTest.make(#"type: "EuclideanLoss" loss_weight: 0.5"#)
        _ = try LayerTest.setUp(weighted, bottom: [Blob(2, 3), Blob(2, 3)])
        XCTAssertEqual(weighted.lossWeights, [0.5])

        let relu = try LayerTest.make(#"type: "ReLU""#)
        _ = try LayerTest.setUp(relu, bottom: [Blob(2)])
        XCTAssertEqual(relu.lossWeights, [0])

        let twoWeights = try LayerTest.make(#"type: "ReLU" loss_weight: 1 loss_weight: 2"#)
        let e = TestSupport.error { _ = try LayerTest.setUp(twoWeights, bottom: [Blob(2)]) }
        XCTAssertEqual(e?.field, "loss_weight")
    }

    func testParameterGradientsFollowLearningRateMultipliersUnlessForced() throws {
        let text = #"type: "InnerProduct" param { lr_mult: 0 } param { lr_mult: 2 } inner_product_param { num_output: 3 }"#
        let net = try LayerTest.make(text)
        _ = try LayerTest.setUp(net, bottom: [Blob(2, 4)], forceParameterGradients: false)
        XCTAssertEqual(net.paramPropagateDown, [false, true])

        let forced = try LayerTest.make(text)
        _ = try LayerTest.setUp(forced, bottom: [Blob(2, 4)])
        XCTAssertEqual(forced.paramPropagateDown, [true, true])

        let tooManySpecs = try LayerTest.make(#"type: "ReLU" param { lr_mult: 1 }"#)
        let e = TestSupport.error { _ = try LayerTest.setUp(tooManySpecs, bottom: [Blob(2)]) }
        XCTAssertEqual(e?.field, "param")
    }

    func testFillingAndInspectOnly() throws {
        let text = #"type: "InnerProduct" inner_product_param { num_output: 3 weight_filler { type: "constant" value: 2 } }"#
        let filled = try LayerTest.make(text)
        try filled.setUp(bottom: [Blob(2, 4)], top: [Blob(1)])
        XCTAssertEqual(Set(filled.blobs[0].dataArray), [2])
        XCTAssertEqual(filled.inspectOnly, false)

        let unfilled = try LayerTest.make(text)
        try unfilled.setUp(bottom: [Blob(2, 4)], top: [Blob(1)], fillParameters: false)
        XCTAssertEqual(Set(unfilled.blobs[0].dataArray), [0])

        let inspected = try LayerTest.make(text)
        let top = Blob(1)
        try inspected.setUp(bottom: [Blob(2, 4)], top: [top], inspectOnly: true)
        XCTAssertEqual(inspected.inspectOnly, true)
        XCTAssertEqual(top.shape, [2, 3], "shapes are still inferred")
    }

    func testTheNetsRandomSourceIsTakenOnlyWhenGiven() throws {
        let layer = try LayerTest.make(#"type: "ReLU""#)
        let own = layer.random
        _ = try LayerTest.setUp(layer, bottom: [Blob(2)])
        XCTAssertTrue(layer.random === own)
        let shared = RandomSource(seed: 5)
        try layer.setUp(bottom: [Blob(2)], top: [Blob(1)], random: shared)
        XCTAssertTrue(layer.random === shared)
    }
}
