import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Deconvolution: checked against a direct scatter loop written here (every input pixel
/// adds its weighted kernel into the output window it maps to), hand-computed cases,
/// FCN's bilinear upsampling, finite-difference gradients, parameter and shape errors.
final class DeconvolutionTests: XCTestCase {
    /// A set-up deconvolution layer on `bottoms`, its weights (and bias) replaced when given.
    func deconv(_ text: String, bottoms: [Blob], weights: [Float]? = nil, bias: [Float]? = nil,
                extra: String = "") throws -> (Layer, [Blob]) {
        let layer = try LayerTest.make("type: \"Deconvolution\" \(extra) convolution_param { \(text) }")
        let tops = try LayerTest.setUp(layer, bottom: bottoms, tops: bottoms.count)
        if let weights { layer.blobs[0].setData(weights) }
        if let bias { layer.blobs[1].setData(bias) }
        return (layer, tops)
    }

    func blob(_ shape: [Int], _ values: [Float]) -> Blob {
        let b = try! Blob(shape: shape)
        b.setData(values)
        return b
    }

    /// The geometry of a direct transposed convolution.
    struct Geometry {
        var kernel = (h: 1, w: 1), stride = (h: 1, w: 1), pad = (h: 0, w: 0), dilation = (h: 1, w: 1)
        var group = 1
    }

    /// Transposed convolution the plain way: for every input pixel (n, c, y, x) and every
    /// kernel tap (o, i, j) of its group, out[n, o, y·s − p + i·d, x·s − p + j·d] += w · x.
    /// Weights are C × (Cout/group) × kh × kw. Returns the output and its shape.
    func scatter(_ input: Blob, weights: [Float], bias: [Float]?, numOutput: Int, _ g: Geometry) -> ([Float], [Int]) {
        let (num, channels, height, width) = (input.dim(0), input.dim(1), input.dim(2), input.dim(3))
        let outH = g.stride.h * (height - 1) + g.dilation.h * (g.kernel.h - 1) + 1 - 2 * g.pad.h
        let outW = g.stride.w * (width - 1) + g.dilation.w * (g.kernel.w - 1) + 1 - 2 * g.pad.w
        let inPerGroup = channels / g.group, outPerGroup = numOutput / g.group
        var out = [Float](repeating: 0, count: num * numOutput * outH * outW)
        let x = input.dataArray
        for n in 0..<num {
            for c in 0..<channels {
                let group = c / inPerGroup
                for y in 0..<height {
                    for xx in 0..<width {
                        let value = x[((n * channels + c) * height + y) * width + xx]
                        for o in 0..<outPerGroup {
                            let oc = group * outPerGroup + o
                            for i in 0..<g.kernel.h {
                                let oy = y * g.stride.h - g.pad.h + i * g.dilation.h
                                guard oy >= 0, oy < outH else { continue }
                                for j in 0..<g.kernel.w {
                                    let ox = xx * g.stride.w - g.pad.w + j * g.dilation.w
                                    guard ox >= 0, ox < outW else { continue }
                                    let w = weights[((c * outPerGroup + o) * g.kernel.h + i) * g.kernel.w + j]
                                    out[((n * numOutput + oc) * outH + oy) * outW + ox] += w * value
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            for n in 0..<num {
                for o in 0..<numOutput {
                    for k in 0..<(outH * outW) { out[(n * numOutput + o) * outH * outW + k] += bias[o] }
                }
            }
        }
        return (out, [num, numOutput, outH, outW])
    }

    func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-4,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > accuracy * max(1, abs(e)) {
            XCTFail("element \(i): \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    // MARK: Hand-computed values

    func testTwoByTwoKernelStrideOne() throws {
        // Every input pixel adds x·w into the 2×2 window at its position:
        // in = [1 2; 3 4], w = [1 2; 3 4] → out(r, c) = Σ in(y, x)·w(r − y, c − x):
        // [1, 2+2, 4; 3+3, 4+6+6+4, 8+8; 9, 12+12, 16] + bias 0.5
        let input = blob([1, 1, 2, 2], [1, 2, 3, 4])
        let (layer, top) = try deconv("num_output: 1 kernel_size: 2", bottoms: [input],
                                      weights: [1, 2, 3, 4], bias: [0.5])
        XCTAssertEqual(layer.blobs[0].shape, [1, 1, 2, 2])
        XCTAssertEqual(top[0].shape, [1, 1, 3, 3])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [1.5, 4.5, 4.5, 6.5, 20.5, 16.5, 9.5, 24.5, 16.5])
    }

    func testStrideTwoPadOneShape() throws {
        // out = s·(H − 1) − 2p + d·(k − 1) + 1: H 3, s 2, p 1, k 3, d 2 → 4 − 2 + 5 = 7;
        // W 4, k 2 (_h/_w forms), s 3, p 0, d 2 → 9 + 3 = 12.
        let input = LayerTest.blob([2, 4, 3, 4])
        let (layer, top) = try deconv("num_output: 6 group: 2 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 "
                                      + "pad_h: 1 pad_w: 0 dilation: 2", bottoms: [input])
        XCTAssertEqual(top[0].shape, [2, 6, 7, 12])
        // Caffe's weight layout: input channels first, then num_output / group.
        XCTAssertEqual(layer.blobs[0].shape, [4, 3, 3, 2])
        XCTAssertEqual(layer.blobs[1].shape, [6])
    }

    // MARK: Against the direct scatter loop

    func testMatchesScatterLoopWithGroupsStridePadDilation() throws {
        let cases: [(String, Geometry, [Int], Int)] = [
            ("num_output: 4 kernel_size: 3 stride: 2 pad: 1 group: 2",
             Geometry(kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 2), [2, 4, 3, 4], 4),
            ("num_output: 2 kernel_size: 2 dilation: 2", Geometry(kernel: (2, 2), dilation: (2, 2)), [1, 3, 4, 3], 2),
            ("num_output: 6 kernel_size: 3 stride: 2 pad: 1 dilation: 2 group: 3",
             Geometry(kernel: (3, 3), stride: (2, 2), pad: (1, 1), dilation: (2, 2), group: 3), [2, 3, 4, 5], 6),
            ("num_output: 3 kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 2",
             Geometry(kernel: (2, 3), stride: (1, 2), pad: (1, 2)), [1, 2, 3, 3], 3),
            ("num_output: 4 kernel_size: 1 group: 2", Geometry(group: 2), [2, 4, 3, 3], 4),  // pointwise: no col2im
        ]
        for (index, (text, geometry, shape, numOutput)) in cases.enumerated() {
            let input = LayerTest.blob(shape, seed: UInt64(20 + index))
            let (layer, top) = try deconv(text + " weight_filler { type: \"gaussian\" std: 1 } "
                                          + "bias_filler { type: \"gaussian\" std: 1 }", bottoms: [input])
            try layer.forward(bottom: [input], top: top)
            let (expected, expectedShape) = scatter(input, weights: layer.blobs[0].dataArray,
                                                    bias: layer.blobs[1].dataArray, numOutput: numOutput, geometry)
            XCTAssertEqual(top[0].shape, expectedShape, text)
            assertClose(top[0].dataArray, expected)
        }
    }

    func testTwoBottomsShareWeights() throws {
        let a = LayerTest.blob([1, 2, 3, 3], seed: 3), b = LayerTest.blob([1, 2, 3, 3], seed: 4)
        let (layer, top) = try deconv("num_output: 3 kernel_size: 3 stride: 2 bias_term: false "
                                      + "weight_filler { type: \"xavier\" }", bottoms: [a, b])
        XCTAssertEqual(layer.blobs.count, 1)
        try layer.forward(bottom: [a, b], top: top)
        let g = Geometry(kernel: (3, 3), stride: (2, 2))
        assertClose(top[0].dataArray, scatter(a, weights: layer.blobs[0].dataArray, bias: nil, numOutput: 3, g).0)
        assertClose(top[1].dataArray, scatter(b, weights: layer.blobs[0].dataArray, bias: nil, numOutput: 3, g).0)
    }

    /// Backward-data of a deconvolution is the forward of the convolution with the same
    /// weights: C_in × (C_out/g) × kh × kw is also Convolution's num_output × (C/g) × kh × kw.
    func testBackwardDataIsConvolutionForward() throws {
        let params = "num_output: 4 kernel_size: 3 stride: 2 pad: 1 dilation: 2 group: 2 bias_term: false"
        let input = LayerTest.blob([2, 6, 3, 4], seed: 5)
        let (layer, top) = try deconv(params + " weight_filler { type: \"gaussian\" std: 1 }", bottoms: [input])
        try layer.forward(bottom: [input], top: top)
        let topDiff = LayerTest.blob(top[0].shape, seed: 6)
        top[0].setDiff(topDiff.dataArray)
        try layer.backward(top: top, propagateDown: [true], bottom: [input])

        let conv = try LayerTest.make("type: \"Convolution\" convolution_param { num_output: 6 kernel_size: 3 "
                                      + "stride: 2 pad: 1 dilation: 2 group: 2 bias_term: false }")
        let convTop = try LayerTest.setUp(conv, bottom: [topDiff])
        XCTAssertEqual(conv.blobs[0].shape, layer.blobs[0].shape)
        conv.blobs[0].setData(layer.blobs[0].dataArray)
        try conv.forward(bottom: [topDiff], top: convTop)
        XCTAssertEqual(convTop[0].shape, input.shape)
        assertClose(input.diffArray, convTop[0].dataArray)
    }

    func testBackwardAccumulatesParametersAndOverwritesBottom() throws {
        // 1×1×2×2 input [1 2; 3 4], kernel 2: out(r, c) = Σ in(y, x)·w(r − y, c − x).
        // Top diff 1 at out(0, 0) only: it was written by in(0, 0)·w(0, 0) alone, so
        // dW = [1 0; 0 0] per pass, dx = [w(0,0) 0; 0 0] = [1 0; 0 0], d bias = 1 per pass.
        let input = blob([1, 1, 2, 2], [1, 2, 3, 4])
        let (layer, top) = try deconv("num_output: 1 kernel_size: 2", bottoms: [input], weights: [1, 2, 3, 4], bias: [0])
        try layer.forward(bottom: [input], top: top)
        top[0].setDiff([1, 0, 0, 0, 0, 0, 0, 0, 0])
        input.fillDiff(99)
        for _ in 0..<2 { try layer.backward(top: top, propagateDown: [true], bottom: [input]) }
        XCTAssertEqual(layer.blobs[0].diffArray, [2, 0, 0, 0])
        XCTAssertEqual(layer.blobs[1].diffArray, [2])
        XCTAssertEqual(input.diffArray, [1, 0, 0, 0])
        // The centre out(1, 1) got in(0,0)·w(1,1) + in(0,1)·w(1,0) + in(1,0)·w(0,1) + in(1,1)·w(0,0).
        top[0].setDiff([0, 0, 0, 0, 1, 0, 0, 0, 0])
        for p in layer.blobs { p.fillDiff(0) }
        try layer.backward(top: top, propagateDown: [true], bottom: [input])
        XCTAssertEqual(layer.blobs[0].diffArray, [4, 3, 2, 1])
        XCTAssertEqual(input.diffArray, [4, 3, 2, 1])
    }

    func testLearningRateZeroComputesNoWeightGradient() throws {
        let input = LayerTest.blob([1, 2, 3, 3])
        let layer = try LayerTest.make("""
            type: "Deconvolution" param { lr_mult: 0 } param { lr_mult: 1 }
            convolution_param { num_output: 2 kernel_size: 4 stride: 2 pad: 1 group: 2 weight_filler { type: "bilinear" } }
            """)
        let top = try LayerTest.setUp(layer, bottom: [input], forceParameterGradients: false)
        XCTAssertEqual(layer.paramPropagateDown, [false, true])
        try layer.forward(bottom: [input], top: top)
        top[0].fillDiff(1)
        for p in layer.blobs { p.fillDiff(0) }
        try layer.backward(top: top, propagateDown: [true], bottom: [input])
        XCTAssertTrue(layer.blobs[0].diffArray.allSatisfy { $0 == 0 })
        XCTAssertEqual(layer.blobs[1].diffArray, [36, 36])  // 6×6 top positions per channel
    }

    // MARK: FCN's bilinear upsampling

    /// FCN's `upsample_filt(size)` (its surgery script), written independently of Caffe's
    /// filler: factor = ⌊(size + 1)/2⌋, centre factor − 1 (odd size) or factor − ½,
    /// w(y, x) = (1 − |y − centre|/factor)·(1 − |x − centre|/factor).
    func fcnKernel(_ size: Int) -> [Float] {
        let factor = Double((size + 1) / 2)
        let centre = size % 2 == 1 ? factor - 1 : factor - 0.5
        let axis = (0..<size).map { 1 - abs(Double($0) - centre) / factor }
        return axis.flatMap { y in axis.map { x in Float(y * x) } }
    }

    func testBilinearFillerIsFCNsKernel() throws {
        // The kernel sizes FCN uses, 2·factor − factor mod 2: factors 2, 3, 4, 5, 8, 16, 32.
        for (factor, size) in [(2, 4), (3, 5), (4, 8), (5, 9), (8, 16), (16, 32), (32, 64)] {
            let channels = 2
            let input = LayerTest.blob([1, channels, 2, 2])
            let (layer, _) = try deconv("""
                num_output: \(channels) group: \(channels) kernel_size: \(size) stride: \(factor)
                pad: \((factor - 1 + 1) / 2) bias_term: false weight_filler { type: "bilinear" }
                """, bottoms: [input])
            XCTAssertEqual(layer.blobs[0].shape, [channels, 1, size, size])
            let expected = fcnKernel(size)
            let weights = layer.blobs[0].dataArray
            for c in 0..<channels {
                let kernel = Array(weights[(c * size * size)..<((c + 1) * size * size)])
                for (a, e) in zip(kernel, expected) where abs(a - e) > 1e-6 {
                    XCTFail("size \(size): \(a) vs FCN's \(e)")
                    break
                }
            }
        }
        // The 4×4 kernel of 2× upsampling, by hand: per axis [1/4, 3/4, 3/4, 1/4].
        XCTAssertEqual(fcnKernel(4), [0.25, 0.75, 0.75, 0.25].flatMap { y in [0.25, 0.75, 0.75, 0.25].map { y * $0 } })
    }

    func testBilinearTwiceUpsamplingValues() throws {
        // factor 2: kernel 4, stride 2, pad 1 → 2H × 2W. Along one axis, out(o) = Σ_i x(i)·k(o + 1 − 2i)
        // with k = [1/4, 3/4, 3/4, 1/4]: for x = [a, b], out = [3a/4, 3a/4 + b/4, a/4 + 3b/4, 3b/4].
        // The 2-D kernel is separable, so the 2×2 image [1 2; 3 4] becomes rows ⊗ columns:
        let input = blob([1, 1, 2, 2], [1, 2, 3, 4])
        let (layer, top) = try deconv("num_output: 1 kernel_size: 4 stride: 2 pad: 1 bias_term: false "
                                      + "weight_filler { type: \"bilinear\" }", bottoms: [input])
        XCTAssertEqual(top[0].shape, [1, 1, 4, 4])
        try layer.forward(bottom: [input], top: top)
        func upsample(_ a: Float, _ b: Float) -> [Float] { [0.75 * a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, 0.75 * b] }
        // Columns first: rows [1 2] and [3 4] become r0, r1; then each column (r0[j], r1[j]).
        let r0 = upsample(1, 2), r1 = upsample(3, 4)
        var expected = [Float](repeating: 0, count: 16)
        for j in 0..<4 {
            let column = upsample(r0[j], r1[j])
            for i in 0..<4 { expected[i * 4 + j] = column[i] }
        }
        assertClose(top[0].dataArray, expected, accuracy: 1e-6)
        // A constant image stays constant away from the border (bilinear interpolation).
        let flat = blob([1, 1, 3, 3], [Float](repeating: 2, count: 9))
        let topFlat = try LayerTest.setUp(layer, bottom: [flat])
        try layer.forward(bottom: [flat], top: topFlat)
        for y in 1..<5 { for x in 1..<5 { XCTAssertEqual(topFlat[0].data[y * 6 + x], 2, accuracy: 1e-6) } }
    }

    // MARK: Gradients

    func testGradientGroupsStrideTwoPadOneDilationTwo() throws {
        let input = LayerTest.blob([2, 4, 3, 3], seed: 11)
        let (layer, top) = try deconv("""
            num_output: 4 kernel_size: 3 stride: 2 pad: 1 dilation: 2 group: 2
            weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" std: 1 }
            """, bottoms: [input])
        XCTAssertEqual(top[0].shape, [2, 4, 7, 7])
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientRectangularAndPointwise() throws {
        for text in ["num_output: 3 kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0",
                     "num_output: 4 kernel_size: 1 group: 2"] {
            let input = LayerTest.blob([1, 2, 3, 4], seed: 12)
            let (layer, top) = try deconv(text + " weight_filler { type: \"gaussian\" std: 0.5 } "
                                          + "bias_filler { type: \"uniform\" min: -1 max: 1 }", bottoms: [input])
            try GradientChecker().check(layer, bottom: [input], top: top)
        }
    }

    func testGradientTwoBottomsNoBias() throws {
        let a = LayerTest.blob([1, 2, 3, 2], seed: 14), b = LayerTest.blob([1, 2, 3, 2], seed: 15)
        let (layer, top) = try deconv("num_output: 2 kernel_size: 2 stride: 2 bias_term: false "
                                      + "weight_filler { type: \"xavier\" }", bottoms: [a, b])
        try GradientChecker().check(layer, bottom: [a, b], top: top)
    }

    // MARK: Errors and rules

    func makeError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SwiftCaffeError? {
        TestSupport.error({ _ = try LayerTest.make("type: \"Deconvolution\" convolution_param { \(text) }") },
                          file: file, line: line)
    }

    func testParameterErrors() {
        XCTAssertEqual(makeError("kernel_size: 3")?.field, "convolution_param.num_output")
        XCTAssertEqual(makeError("num_output: 2")?.field, "convolution_param.kernel_size")
        XCTAssertEqual(makeError("num_output: 3 kernel_size: 3 group: 2")?.field, "convolution_param.group")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 group: 0")?.field, "convolution_param.group")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 stride: 0")?.field, "convolution_param.stride")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 dilation: 0")?.field, "convolution_param.dilation")
        XCTAssertEqual(makeError("num_output: 2 kernel_h: 3")?.field, "convolution_param.kernel_w")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 axis: 2")?.field, "convolution_param.axis")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 4 weight_filler { type: \"bilinaer\" }")?.field,
                       "convolution_param.weight_filler.type")
    }

    func testShapeErrors() throws {
        // 3 channels cannot be split into 2 groups.
        let grouped = try LayerTest.make("type: \"Deconvolution\" convolution_param { num_output: 2 kernel_size: 2 group: 2 }")
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(grouped, bottom: [LayerTest.blob([1, 3, 2, 2])]) })?.field,
                       "convolution_param.group")
        // Padding that leaves no output: 1·0 + 1 − 2 = −1.
        let padded = try LayerTest.make("type: \"Deconvolution\" convolution_param { num_output: 1 kernel_size: 1 pad: 1 }")
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(padded, bottom: [LayerTest.blob([1, 1, 1, 1])]) })?.field,
                       "convolution_param.pad")
        // Not 4-D.
        let plain = try LayerTest.make("type: \"Deconvolution\" convolution_param { num_output: 2 kernel_size: 2 }")
        XCTAssertNotNil(TestSupport.error({ _ = try LayerTest.setUp(plain, bottom: [LayerTest.blob([2, 3, 3])]) }))
        // Bottoms of different shapes.
        XCTAssertTrue(TestSupport.error({
            _ = try LayerTest.setUp(plain, bottom: [LayerTest.blob([1, 2, 3, 3]), LayerTest.blob([1, 2, 4, 4])], tops: 2)
        })?.message.contains("same shape") ?? false)
        // Channel count changed after setUp.
        let input = LayerTest.blob([1, 2, 3, 3])
        let top = try LayerTest.setUp(plain, bottom: [input])
        try input.reshape([1, 4, 3, 3])
        XCTAssertNotNil(TestSupport.error({ try plain.reshape(bottom: [input], top: top) }))
    }

    func testCountRulesAndInPlace() throws {
        let layer = try LayerTest.make("type: \"Deconvolution\" convolution_param { num_output: 2 kernel_size: 1 }")
        let x = LayerTest.blob([1, 2, 3, 3])
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: []) })?.field, "bottom")
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [x], tops: 2) })?.field, "top")
        let e = TestSupport.error({ try LayerTest.setUp(layer, bottom: [x], top: [x]) })
        XCTAssertTrue(e?.message.contains("in place") ?? false, "\(String(describing: e))")
    }

    func testMultiplyAddsAndNoAllocations() throws {
        let input = LayerTest.blob([2, 4, 3, 3])
        let (layer, top) = try deconv("num_output: 6 kernel_size: 3 stride: 2 pad: 1 group: 2", bottoms: [input])
        // Every input element meets (6/2)·3·3 weights.
        XCTAssertEqual(layer.multiplyAdds(bottom: [input], top: top), 72 * 27)
        try StructureFixtures.assertNoAllocations(layer, bottom: [input], top: top)
        let (pointwise, pointTop) = try deconv("num_output: 2 kernel_size: 1", bottoms: [input])
        try StructureFixtures.assertNoAllocations(pointwise, bottom: [input], top: pointTop)
    }
}
