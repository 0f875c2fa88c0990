import CaffeProto
import XCTest
@testable import SwiftCaffe

final class MVNTests: XCTestCase {
    /// 1 × 2 × 1 × 3: channel 0 (1, 2, 3), channel 1 (2, 4, 9).
    static let values: [Float] = [1, 2, 3, 2, 4, 9]

    func forward(_ text: String, shape: [Int] = [1, 2, 1, 3], _ values: [Float] = values) throws -> Blob {
        let layer = try LayerTest.make(#"type: "MVN" "# + text)
        let bottom = NeuronTest.blob(shape, values)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        return top[0]
    }

    func testPerChannelMeanAndVariance() throws {
        let top = try forward("")
        XCTAssertEqual(top.shape, [1, 2, 1, 3])
        // Channel 0: mean 2, σ² = 2/3. Channel 1: mean 5, deviations (−3, −1, 4), σ² = 26/3.
        let s0 = Float(2.0 / 3).squareRoot(), s1 = Float(26.0 / 3).squareRoot()
        NeuronTest.assertClose(top.dataArray, [-1 / s0, 0, 1 / s0, -3 / s1, -1 / s1, 4 / s1], accuracy: 1e-5)
    }

    func testMeanOnly() throws {
        XCTAssertEqual(try forward("mvn_param { normalize_variance: false }").dataArray, [-1, 0, 1, -3, -1, 4])
    }

    func testAcrossChannels() throws {
        let top = try forward("mvn_param { across_channels: true }")
        // Mean of all six: 3.5; σ² = (6.25 + 2.25 + 0.25 + 2.25 + 0.25 + 30.25) / 6.
        let deviations: [Float] = [-2.5, -1.5, -0.5, -1.5, 0.5, 5.5]
        let sigma = Float(41.5 / 6).squareRoot()
        NeuronTest.assertClose(top.dataArray, deviations.map { $0 / sigma }, accuracy: 1e-5)
        let meanOnly = try forward("mvn_param { across_channels: true normalize_variance: false }")
        NeuronTest.assertClose(meanOnly.dataArray, deviations)
    }

    func testEpsIsAddedToTheDeviation() throws {
        let top = try forward("mvn_param { eps: 1 }")
        let s0 = Float(2.0 / 3).squareRoot() + 1, s1 = Float(26.0 / 3).squareRoot() + 1
        NeuronTest.assertClose(top.dataArray, [-1 / s0, 0, 1 / s0, -3 / s1, -1 / s1, 4 / s1], accuracy: 1e-5)
    }

    func testFewerAxesGiveCaffesFourAxisTop() throws {
        // 2 × 3: each "channel" holds one value, so every output is 0 (σ = 0: 0 / eps).
        let top = try forward("", shape: [2, 3], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(top.shape, [2, 3, 1, 1])
        XCTAssertEqual(top.dataArray, [0, 0, 0, 0, 0, 0])
        let across = try forward("mvn_param { across_channels: true normalize_variance: false }", shape: [2, 3],
                                 [1, 2, 3, 4, 5, 9])
        XCTAssertEqual(across.dataArray, [-1, 0, 1, -2, -1, 3])
    }

    func testBackwardByHand() throws {
        // Caffe's formula on channel 0 of `values`: y = (−a, 0, a), a = 1/σ, σ = √(2/3).
        // dy = (1, 0, 0): mean(dy) = 1/3, mean(y·dy) = −a/3,
        // dx = (dy − 1/3 − y·(−a/3)) / σ = ((1 − 1/3 − a²/3), (−1/3), (−1/3 + a²/3)) / σ.
        let layer = try LayerTest.make(#"type: "MVN""#)
        let bottom = NeuronTest.blob([1, 1, 1, 3], [1, 2, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff([1, 0, 0])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        let sigma = Float(2.0 / 3).squareRoot(), a2 = 1 / (sigma * sigma)
        NeuronTest.assertClose(bottom.diffArray, [(2.0 / 3 - a2 / 3) / sigma, (-1.0 / 3) / sigma, (-1.0 / 3 + a2 / 3) / sigma],
                               accuracy: 1e-5)
        // Mean only: dx = dy − mean(dy).
        let meanOnly = try LayerTest.make(#"type: "MVN" mvn_param { normalize_variance: false }"#)
        let top2 = try LayerTest.setUp(meanOnly, bottom: [bottom])
        try meanOnly.forward(bottom: [bottom], top: top2)
        top2[0].setDiff([1, 0, 0])
        try meanOnly.backward(top: top2, propagateDown: [true], bottom: [bottom])
        NeuronTest.assertClose(bottom.diffArray, [2.0 / 3, -1.0 / 3, -1.0 / 3])
    }

    func testGradients() throws {
        for options in ["", "mvn_param { normalize_variance: false }", "mvn_param { across_channels: true }",
                        "mvn_param { across_channels: true normalize_variance: false }"] {
            // A small step: the normalization's curvature at the default step would look like kinks.
            try NeuronTest.check(#"type: "MVN" "# + options, shape: [2, 3, 2, 2], checker: GradientChecker(stepsize: 1e-3))
        }
    }

    func testInPlace() throws {
        try NeuronTest.assertInPlaceMatches(#"type: "MVN""#, shape: [2, 3, 2, 2])
        try NeuronTest.assertInPlaceMatches(#"type: "MVN" mvn_param { across_channels: true normalize_variance: false }"#,
                                            shape: [2, 3, 2, 2])
    }

    func testErrors() throws {
        XCTAssertEqual(NeuronTest.makeError(#"type: "MVN" mvn_param { eps: -1 }"#)?.field, "mvn_param.eps")
        let layer = try LayerTest.make(#"type: "MVN""#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(1, 2, 1, 3, 1)]) }
        XCTAssertTrue(e?.message.contains("at most 4 axes") ?? false, "\(String(describing: e))")
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2), Blob(2)]) }?.field, "bottom")
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "MVN""#)
        let bottom = LayerTest.blob([2, 3, 4, 4])
        try StructureFixtures.assertNoAllocations(layer, bottom: [bottom], top: try LayerTest.setUp(layer, bottom: [bottom]))
    }
}
