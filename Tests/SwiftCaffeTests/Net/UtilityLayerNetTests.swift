import CaffeProto
import XCTest
@testable import SwiftCaffe

/// The utility layers of issue #14 in a net: a classifier whose predictions come from
/// ArgMax and whose loss is a Reduction (½ Σ scores², loss_weight 1).
final class UtilityLayerNetTests: XCTestCase {
    static let text = """
        name: "utility"
        layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "scores"
                inner_product_param { num_output: 3 bias_term: false } }
        layer { name: "argmax" type: "ArgMax" bottom: "scores" top: "prediction" }
        layer { name: "loss" type: "Reduction" bottom: "scores" top: "loss" loss_weight: 1
                reduction_param { operation: SUMSQ coeff: 0.5 } }
        """

    func testArgMaxAfterAClassifierAndAReductionLoss() throws {
        let net = try TestSupport.buildNet(Self.text)
        XCTAssertEqual(net.outputNames, ["loss", "prediction"])
        let ip = try XCTUnwrap(net.layer(named: "ip"))
        // W rows per class: (1, 0, 0), (0, 1, 2), (1, −1, 0).
        ip.blobs[0].setData([1, 0, 0, 0, 1, 2, 1, -1, 0])
        try XCTUnwrap(net.blob(named: "data")).setData([1, 0, 2,
                                                        0, 1, -1])
        let loss = try net.forward()
        // scores: (1, 4, 1) and (0, −1, −1); ½ Σ scores² = ½ (1 + 16 + 1 + 0 + 1 + 1) = 10.
        XCTAssertEqual(try XCTUnwrap(net.blob(named: "scores")).dataArray, [1, 4, 1, 0, -1, -1])
        XCTAssertEqual(loss, 10, accuracy: 1e-5)
        let prediction = try XCTUnwrap(net.blob(named: "prediction"))
        XCTAssertEqual(prediction.shape, [2, 1, 1])
        XCTAssertEqual(prediction.dataArray, [1, 0])

        ip.blobs[0].fillDiff(0)
        try net.backward()
        // ∂loss/∂scores = scores; W diff[o][k] = Σ_n scores[n][o] · data[n][k].
        XCTAssertEqual(ip.blobs[0].diffArray, [1, 0, 2,
                                               4, -1, 9,
                                               1, -1, 3])
        let argmax = try XCTUnwrap(net.layers.firstIndex { $0.name == "argmax" })
        XCTAssertFalse(net.layerNeedsBackward[argmax])
    }

    func testForceBackwardLeavesArgMaxAlone() throws {
        let net = try TestSupport.buildNet("force_backward: true\n" + Self.text)
        try XCTUnwrap(net.blob(named: "data")).setData([1, 0, 2, 0, 1, -1])
        try net.forward()
        try net.backward()
    }
}
