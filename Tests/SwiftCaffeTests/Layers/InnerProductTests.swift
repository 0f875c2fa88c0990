import CaffeProto
import XCTest
@testable import SwiftCaffe

/// InnerProduct: hand-computed forward and backward, transpose, axis, gradients, errors.
final class InnerProductTests: XCTestCase {
    func blob(_ shape: [Int], _ values: [Float]) -> Blob {
        let b = try! Blob(shape: shape)
        b.setData(values)
        return b
    }

    func ip(_ text: String, bottom: Blob, weights: [Float]? = nil, bias: [Float]? = nil) throws -> (Layer, [Blob]) {
        let layer = try LayerTest.make("type: \"InnerProduct\" inner_product_param { \(text) }")
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        if let weights { layer.blobs[0].setData(weights) }
        if let bias { layer.blobs[1].setData(bias) }
        return (layer, top)
    }

    // x = [1 2 3; 4 5 6], W = [1 0 −1; 0.5 0.5 0.5], b = [1, −1]
    // y = x·Wᵀ + b = [1−3+1, 3−1; 4−6+1, 7.5−1] = [−1 2; −1 6.5]
    var x: Blob { blob([2, 3], [1, 2, 3, 4, 5, 6]) }

    func testForward() throws {
        let input = x
        let (layer, top) = try ip("num_output: 2", bottom: input, weights: [1, 0, -1, 0.5, 0.5, 0.5], bias: [1, -1])
        XCTAssertEqual(layer.blobs[0].shape, [2, 3])
        XCTAssertEqual(top[0].shape, [2, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [-1, 2, -1, 6.5])
    }

    func testTransposeStoresInputsByOutputs() throws {
        let input = x
        let (layer, top) = try ip("num_output: 2 transpose: true", bottom: input,
                                  weights: [1, 0.5, 0, 0.5, -1, 0.5], bias: [1, -1])
        XCTAssertEqual(layer.blobs[0].shape, [3, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [-1, 2, -1, 6.5])
    }

    func testBackwardByHand() throws {
        for transpose in [false, true] {
            let input = x
            let weights: [Float] = transpose ? [1, 0.5, 0, 0.5, -1, 0.5] : [1, 0, -1, 0.5, 0.5, 0.5]
            let (layer, top) = try ip("num_output: 2 transpose: \(transpose)", bottom: input, weights: weights, bias: [1, -1])
            try layer.forward(bottom: [input], top: top)
            top[0].setDiff([1, 0, 0, 1])  // dy = I
            // Twice: parameter diffs accumulate, the bottom diff is overwritten.
            for _ in 0..<2 { try layer.backward(top: top, propagateDown: [true], bottom: [input]) }
            // W diff = dyᵀ·x = x (N × K), or its transpose when W is K × N.
            XCTAssertEqual(layer.blobs[0].diffArray, transpose ? [2, 8, 4, 10, 6, 12] : [2, 4, 6, 8, 10, 12])
            XCTAssertEqual(layer.blobs[1].diffArray, [2, 2])
            // dx = dy·W = the rows of W (N × K form).
            XCTAssertEqual(input.diffArray, [1, 0, -1, 0.5, 0.5, 0.5])
        }
    }

    func testAxisTwo() throws {
        // 2×2×3 with axis 2: four rows of 3 → 2×2×1, each row summed (W = ones) plus bias.
        let input = blob([2, 2, 3], (1...12).map(Float.init))
        let (layer, top) = try ip("num_output: 1 axis: 2", bottom: input, weights: [1, 1, 1], bias: [0.5])
        XCTAssertEqual(top[0].shape, [2, 2, 1])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [6.5, 15.5, 24.5, 33.5])
    }

    func testNegativeAxisAndFlattening() throws {
        let input = LayerTest.blob([2, 2, 3])
        let (layer, top) = try ip("num_output: 4 axis: -1", bottom: input)
        XCTAssertEqual(layer.blobs[0].shape, [4, 3])
        XCTAssertEqual(top[0].shape, [2, 2, 4])
        let (flat, flatTop) = try ip("num_output: 4", bottom: input)
        XCTAssertEqual(flat.blobs[0].shape, [4, 6])
        XCTAssertEqual(flatTop[0].shape, [2, 4])
    }

    func testNoBiasAndDefaultFillers() throws {
        let input = x
        let (layer, top) = try ip("num_output: 2 bias_term: false", bottom: input)
        XCTAssertEqual(layer.blobs.count, 1)
        XCTAssertTrue(layer.blobs[0].dataArray.allSatisfy { $0 == 0 }, "default filler is constant 0")
        layer.blobs[0].setData([1, 0, -1, 0.5, 0.5, 0.5])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [-2, 3, -2, 7.5])
        let (filled, _) = try ip("num_output: 3 weight_filler { type: \"uniform\" min: 1 max: 2 } "
                                 + "bias_filler { type: \"constant\" value: 3 }", bottom: input)
        XCTAssertTrue(filled.blobs[0].dataArray.allSatisfy { $0 >= 1 && $0 < 2 })
        XCTAssertEqual(filled.blobs[1].dataArray, [3, 3, 3])
    }

    // MARK: Gradients

    func testGradient() throws {
        let input = LayerTest.blob([3, 2, 3, 2], seed: 21)
        let (layer, top) = try ip("num_output: 5 weight_filler { type: \"gaussian\" std: 0.5 } "
                                  + "bias_filler { type: \"gaussian\" std: 1 }", bottom: input)
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientTranspose() throws {
        let input = LayerTest.blob([3, 7], seed: 22)
        let (layer, top) = try ip("num_output: 4 transpose: true weight_filler { type: \"xavier\" } "
                                  + "bias_filler { type: \"uniform\" min: -1 max: 1 }", bottom: input)
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientAxisTwoNoBias() throws {
        let input = LayerTest.blob([2, 3, 5], seed: 23)
        let (layer, top) = try ip("num_output: 3 axis: 2 bias_term: false weight_filler { type: \"msra\" }",
                                  bottom: input)
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientSingleRow() throws {
        let input = LayerTest.blob([1, 9], seed: 24)
        let (layer, top) = try ip("num_output: 2 weight_filler { type: \"gaussian\" std: 1 } "
                                  + "bias_filler { type: \"gaussian\" std: 1 }", bottom: input)
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    // MARK: Errors

    func testParameterErrors() throws {
        let missing = TestSupport.error({ _ = try LayerTest.make("type: \"InnerProduct\"") })
        XCTAssertEqual(missing?.field, "inner_product_param.num_output")
        let filler = TestSupport.error({
            _ = try LayerTest.make("type: \"InnerProduct\" inner_product_param { num_output: 2 weight_filler { type: \"xaviar\" } }")
        })
        XCTAssertEqual(filler?.field, "inner_product_param.weight_filler.type")
        XCTAssertTrue(filler?.hint?.contains("did you mean 'xavier'?") ?? false, filler?.hint ?? "")
        let axis = try LayerTest.make("type: \"InnerProduct\" inner_product_param { num_output: 2 axis: 3 }")
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(axis, bottom: [LayerTest.blob([2, 3, 4])]) })?.field,
                       "inner_product_param.axis")
    }

    func testShapeErrors() throws {
        let input = x
        let (layer, top) = try ip("num_output: 2", bottom: input)
        try input.reshape([2, 4])
        let e = TestSupport.error({ try layer.reshape(bottom: [input], top: top) })
        XCTAssertTrue(e?.message.contains("weights expect 3") ?? false, "\(String(describing: e))")
        // A new batch size is fine.
        try input.reshape([5, 3])
        try layer.reshape(bottom: [input], top: top)
        XCTAssertEqual(top[0].shape, [5, 2])
        // In place is not.
        XCTAssertTrue(TestSupport.error({ try layer.reshape(bottom: [input], top: [input]) })?
            .message.contains("in place") ?? false)
    }
}
