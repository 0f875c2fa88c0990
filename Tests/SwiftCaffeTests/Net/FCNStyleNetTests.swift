import CaffeProto
import XCTest
@testable import SwiftCaffe

/// An FCN-style head written as FCN's own nets are (Convolution scores → Deconvolution
/// with the bilinear filler and lr_mult 0 → Crop against the data), run forward and
/// backward through a built net; the numbers are recomputed here from the blobs.
final class FCNStyleNetTests: XCTestCase {
    let text = """
        name: "fcn_style"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 9 dim: 11 } } }
        layer { name: "target" type: "Input" top: "target" input_param { shape { dim: 2 dim: 2 dim: 9 dim: 11 } } }
        layer {
          name: "score" type: "Convolution" bottom: "data" top: "score"
          convolution_param { num_output: 2 kernel_size: 3 stride: 2
                              weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: 0.1 } }
        }
        layer {
          name: "upscore" type: "Deconvolution" bottom: "score" top: "upscore"
          param { lr_mult: 0 decay_mult: 0 }
          convolution_param { num_output: 2 group: 2 kernel_size: 4 stride: 2 bias_term: false
                              weight_filler { type: "bilinear" } }
        }
        layer { name: "crop" type: "Crop" bottom: "upscore" bottom: "data" top: "cropped" crop_param { axis: 2 offset: 1 } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "cropped" bottom: "target" top: "loss" }
        """

    /// Bilinear 2× kernel, per axis [1/4, 3/4, 3/4, 1/4].
    let axis: [Float] = [0.25, 0.75, 0.75, 0.25]

    func testForwardAndBackward() throws {
        let net = try TestSupport.buildNet(text)
        let data = try XCTUnwrap(net.blob(named: "data")), target = try XCTUnwrap(net.blob(named: "target"))
        data.setData(LayerTest.blob(data.shape, seed: 1).dataArray)
        target.setData(LayerTest.blob(target.shape, seed: 2).dataArray)
        try net.forward()

        // Shapes: conv (9 − 3)/2 + 1 = 4, (11 − 3)/2 + 1 = 5; deconv 2·3 + 4 = 10, 2·4 + 4 = 12; crop to 9×11.
        let score = try XCTUnwrap(net.blob(named: "score")), upscore = try XCTUnwrap(net.blob(named: "upscore"))
        let cropped = try XCTUnwrap(net.blob(named: "cropped"))
        XCTAssertEqual(score.shape, [2, 2, 4, 5])
        XCTAssertEqual(upscore.shape, [2, 2, 10, 12])
        XCTAssertEqual(cropped.shape, [2, 2, 9, 11])
        let deconv = try XCTUnwrap(net.layer(named: "upscore"))
        XCTAssertEqual(deconv.blobs[0].shape, [2, 1, 4, 4])
        let kernel = axis.flatMap { y in axis.map { y * $0 } }
        XCTAssertEqual(deconv.blobs[0].dataArray, kernel + kernel)

        // Forward: each score pixel (y, x) adds s·k(i, j) at (2y + i, 2x + j), per channel;
        // the crop takes rows and columns from 1.
        let s = score.dataArray
        var up = [Float](repeating: 0, count: 2 * 2 * 10 * 12)
        for plane in 0..<4 {
            for y in 0..<4 { for x in 0..<5 { for i in 0..<4 { for j in 0..<4 {
                up[(plane * 10 + 2 * y + i) * 12 + 2 * x + j] += s[(plane * 4 + y) * 5 + x] * kernel[i * 4 + j]
            } } } }
        }
        var expected: [Float] = []
        for plane in 0..<4 { for r in 1..<10 { for c in 1..<12 { expected.append(up[(plane * 10 + r) * 12 + c]) } } }
        let actual = cropped.dataArray
        for k in expected.indices where abs(actual[k] - expected[k]) > 1e-5 {
            XCTFail("cropped[\(k)]: \(actual[k]), expected \(expected[k])")
            break
        }

        // Backward: the loss diff of the crop, placed back at offset 1 in the upscore,
        // gathered through the same taps: d score(y, x) = Σ k(i, j)·d up(2y + i, 2x + j).
        try net.backward()
        let dCropped = cropped.diffArray, t = target.dataArray
        for k in dCropped.indices where abs(dCropped[k] - (actual[k] - t[k]) / 2) > 1e-5 {
            XCTFail("cropped diff[\(k)]: \(dCropped[k]), expected (cropped − target)/N")
            break
        }
        var dUp = [Float](repeating: 0, count: up.count)
        for plane in 0..<4 { for r in 1..<10 { for c in 1..<12 {
            dUp[(plane * 10 + r) * 12 + c] = dCropped[(plane * 9 + r - 1) * 11 + c - 1]
        } } }
        XCTAssertEqual(upscore.diffArray, dUp)
        let dScore = score.diffArray
        for plane in 0..<4 {
            for y in 0..<4 { for x in 0..<5 {
                var sum: Float = 0
                for i in 0..<4 { for j in 0..<4 { sum += kernel[i * 4 + j] * dUp[(plane * 10 + 2 * y + i) * 12 + 2 * x + j] } }
                XCTAssertEqual(dScore[(plane * 4 + y) * 5 + x], sum, accuracy: 1e-5)
            } }
        }
        // lr_mult 0: the bilinear weights get no gradient; the scores' convolution does.
        XCTAssertTrue(deconv.blobs[0].diffArray.allSatisfy { $0 == 0 })
        let conv = try XCTUnwrap(net.layer(named: "score"))
        XCTAssertTrue(conv.blobs[0].diffArray.contains { $0 != 0 })
        // The data takes no gradient: Crop's reference and the net's input.
        let cropIndex = try XCTUnwrap(net.layers.firstIndex { $0.name == "crop" })
        XCTAssertEqual(net.bottomNeedsBackward[cropIndex], [true, false])
    }

    func testSummaryAndTimeBuildTheNet() throws {
        // The net also builds for inspection (summary's path) with the same shapes.
        var options = NetBuildOptions()
        options.inspectOnly = true
        let net = try TestSupport.buildNet(text, options: options)
        XCTAssertEqual(net.blob(named: "cropped")?.shape, [2, 2, 9, 11])
    }
}
