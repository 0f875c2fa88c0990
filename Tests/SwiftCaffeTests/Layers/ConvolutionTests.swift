import CaffeProto
import Foundation
import MallocCounter
import XCTest
@testable import SwiftCaffe

/// Convolution: hand-computed forward cases, finite-difference gradients on odd
/// geometries, parameter errors.
final class ConvolutionTests: XCTestCase {
    /// A set-up convolution layer on `bottoms`, its weights (and bias) replaced by `weights`/`bias`.
    func conv(_ text: String, bottoms: [Blob], weights: [Float]? = nil, bias: [Float]? = nil) throws -> (Layer, [Blob]) {
        let layer = try LayerTest.make("type: \"Convolution\" convolution_param { \(text) }")
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

    /// 1..9 as a 1×1×3×3 image.
    var oneToNine: Blob { blob([1, 1, 3, 3], (1...9).map(Float.init)) }

    func testTwoByTwoKernelStrideOne() throws {
        // in = [1 2 3; 4 5 6; 7 8 9], w = [1 2; 3 4]
        // out(0,0) = 1·1 + 2·2 + 4·3 + 5·4 = 37, then 47, 67, 77; + bias 0.5
        let (layer, top) = try conv("num_output: 1 kernel_size: 2", bottoms: [oneToNine],
                                    weights: [1, 2, 3, 4], bias: [0.5])
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        try layer.forward(bottom: [oneToNine], top: top)
        XCTAssertEqual(top[0].dataArray, [37.5, 47.5, 67.5, 77.5])
    }

    func testBiasTermFalse() throws {
        let input = oneToNine
        let (layer, top) = try conv("num_output: 1 kernel_size: 2 bias_term: false", bottoms: [input],
                                    weights: [1, 2, 3, 4])
        XCTAssertEqual(layer.blobs.count, 1)
        XCTAssertEqual(layer.blobs[0].shape, [1, 1, 2, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [37, 47, 67, 77])
    }

    func testPaddedStrideTwo() throws {
        // pad 1, stride 2: window (y, x) covers input rows 2y−1…2y, columns 2x−1…2x.
        // (0,0): only in(0,0)=1 under w11=4 → 4
        // (0,1): in(0,1)=2·w10=3 → 6, in(0,2)=3·w11=4 → 12: 18
        // (1,0): in(1,0)=4·w01=2 → 8, in(2,0)=7·w11=4 → 28: 36
        // (1,1): 5·1 + 6·2 + 8·3 + 9·4 = 77
        let input = oneToNine
        let (layer, top) = try conv("num_output: 1 kernel_size: 2 pad: 1 stride: 2 bias_term: false",
                                    bottoms: [input], weights: [1, 2, 3, 4])
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [4, 18, 36, 77])
    }

    func testDilated() throws {
        // in(r, c) = 5r + c on 5×5; 2×2 kernel [1 2; 3 4] dilated by 2 (extent 3) → 3×3:
        // out(y,x) = in(y,x) + 2·in(y,x+2) + 3·in(y+2,x) + 4·in(y+2,x+2) = 10·(5y+x) + 82
        let input = blob([1, 1, 5, 5], (0..<25).map(Float.init))
        let (layer, top) = try conv("num_output: 1 kernel_size: 2 dilation: 2 bias_term: false",
                                    bottoms: [input], weights: [1, 2, 3, 4])
        XCTAssertEqual(top[0].shape, [1, 1, 3, 3])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [82, 92, 102, 132, 142, 152, 182, 192, 202])
    }

    func testRectangularKernelAndStride() throws {
        // kernel 1×2, stride_h 2 stride_w 1 on the 3×3 image: rows 0 and 2,
        // out = in(r,c) − in(r,c+1) = −1 everywhere, + bias 1 → 0
        let input = oneToNine
        let (layer, top) = try conv("num_output: 1 kernel_h: 1 kernel_w: 2 stride_h: 2 stride_w: 1",
                                    bottoms: [input], weights: [1, -1], bias: [1])
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [0, 0, 0, 0])
    }

    func testGroups() throws {
        // Two channels [1 2; 3 4] and [5 6; 7 8], group 2, 2×2 kernels:
        // filter 0 sees channel 0 only: [1 0; 0 1] → 1 + 4 = 5
        // filter 1 sees channel 1 only: [0 1; 1 0] → 6 + 7 = 13
        let input = blob([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        let (layer, top) = try conv("num_output: 2 kernel_size: 2 group: 2", bottoms: [input],
                                    weights: [1, 0, 0, 1, 0, 1, 1, 0], bias: [0, -1])
        XCTAssertEqual(layer.blobs[0].shape, [2, 1, 2, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].shape, [1, 2, 1, 1])
        XCTAssertEqual(top[0].dataArray, [5, 12])
    }

    func testPointwise() throws {
        // 1×1 kernel: out_o = Σ_c w[o,c]·in_c + b_o on each pixel.
        // w = [1 1; 2 −1; 0 0.5], b = [0, 1, −1]
        let input = blob([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        let (layer, top) = try conv("num_output: 3 kernel_size: 1", bottoms: [input],
                                    weights: [1, 1, 2, -1, 0, 0.5], bias: [0, 1, -1])
        XCTAssertTrue((layer as! ConvolutionLayer).geometry.isPointwise)
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [6, 8, 10, 12, -2, -1, 0, 1, 1.5, 2, 2.5, 3])
    }

    func testGroupedPointwiseTwoImages() throws {
        // 4 channels, group 2: outputs 0–1 read channels 0–1, outputs 2–3 read channels 2–3.
        let input = blob([2, 4, 1, 1], [1, 2, 3, 4, 10, 20, 30, 40])
        let (layer, top) = try conv("num_output: 4 kernel_size: 1 group: 2 bias_term: false", bottoms: [input],
                                    weights: [1, 0, 1, 1, 1, -1, 0, 2])
        try layer.forward(bottom: [input], top: top)
        XCTAssertEqual(top[0].dataArray, [1, 3, -1, 8, 10, 30, -10, 80])
    }

    func testTwoBottomsShareWeights() throws {
        let first = oneToNine
        let second = blob([1, 1, 3, 3], (1...9).map { Float(-$0) })
        let (layer, top) = try conv("num_output: 1 kernel_size: 2", bottoms: [first, second],
                                    weights: [1, 2, 3, 4], bias: [1])
        XCTAssertEqual(top.count, 2)
        try layer.forward(bottom: [first, second], top: top)
        XCTAssertEqual(top[0].dataArray, [38, 48, 68, 78])
        XCTAssertEqual(top[1].dataArray, [-36, -46, -66, -76])
    }

    func testFillers() throws {
        let input = LayerTest.blob([1, 3, 5, 5])
        let (absent, _) = try conv("num_output: 4 kernel_size: 3", bottoms: [input])
        XCTAssertEqual(absent.blobs[0].shape, [4, 3, 3, 3])
        XCTAssertTrue(absent.blobs[0].dataArray.allSatisfy { $0 == 0 }, "default filler is constant 0")
        XCTAssertTrue(absent.blobs[1].dataArray.allSatisfy { $0 == 0 })
        let (given, _) = try conv("num_output: 4 kernel_size: 3 weight_filler { type: \"gaussian\" std: 0.1 } "
                                  + "bias_filler { type: \"constant\" value: 0.25 }", bottoms: [input])
        XCTAssertTrue(given.blobs[0].dataArray.contains { $0 != 0 })
        XCTAssertEqual(given.blobs[1].dataArray, [0.25, 0.25, 0.25, 0.25])
    }

    func testBackwardAccumulatesParametersAndOverwritesBottom() throws {
        let input = oneToNine
        let (layer, top) = try conv("num_output: 1 kernel_size: 2", bottoms: [input], weights: [1, 2, 3, 4], bias: [0])
        try layer.forward(bottom: [input], top: top)
        top[0].setDiff([1, 0, 0, 0])  // only out(0,0), which read in(0..1, 0..1)
        input.fillDiff(99)
        for _ in 0..<2 { try layer.backward(top: top, propagateDown: [true], bottom: [input]) }
        XCTAssertEqual(layer.blobs[0].diffArray, [2, 4, 8, 10])  // 2 × [1 2 4 5]
        XCTAssertEqual(layer.blobs[1].diffArray, [2])
        XCTAssertEqual(input.diffArray, [1, 2, 0, 3, 4, 0, 0, 0, 0])
    }

    // MARK: Gradients

    func testGradientOddGeometry() throws {
        // N=2, C=4, 5×7, kernel 3×2, stride 2×1, pad 1×0, dilation 1×2, group 2 → 2×4×3×5
        let input = LayerTest.blob([2, 4, 5, 7], seed: 11)
        let (layer, top) = try conv("""
            num_output: 4 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0
            dilation: 1 dilation: 2 group: 2
            weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" std: 1 }
            """, bottoms: [input])
        XCTAssertEqual(top[0].shape, [2, 4, 3, 5])
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientPaddingLargerThanStride() throws {
        // pad 2 with a 3×3 kernel, stride 3: windows lying mostly in the padding.
        let input = LayerTest.blob([1, 3, 4, 5], seed: 12)
        let (layer, top) = try conv("""
            num_output: 2 kernel_size: 3 pad: 2 stride: 3
            weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "uniform" min: -1 max: 1 }
            """, bottoms: [input])
        XCTAssertEqual(top[0].shape, [1, 2, 2, 3])
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientPointwise() throws {
        let input = LayerTest.blob([2, 4, 3, 3], seed: 13)
        let (layer, top) = try conv("""
            num_output: 6 kernel_size: 1 group: 2
            weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" std: 1 }
            """, bottoms: [input])
        try GradientChecker().check(layer, bottom: [input], top: top)
    }

    func testGradientTwoBottomsNoBias() throws {
        let a = LayerTest.blob([1, 2, 4, 3], seed: 14), b = LayerTest.blob([1, 2, 4, 3], seed: 15)
        let (layer, top) = try conv("""
            num_output: 3 kernel_size: 2 bias_term: false weight_filler { type: "xavier" }
            """, bottoms: [a, b])
        try GradientChecker().check(layer, bottom: [a, b], top: top)
    }

    // MARK: Errors

    func makeError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SwiftCaffeError? {
        TestSupport.error({ _ = try LayerTest.make("type: \"Convolution\" convolution_param { \(text) }") },
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
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3")?.field,
                       "convolution_param.kernel")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 kernel_size: 3 kernel_size: 3")?.field,
                       "convolution_param.kernel")
        XCTAssertEqual(makeError("num_output: 2 kernel_size: 3 axis: 2")?.field, "convolution_param.axis")
    }

    func testUnknownFillerTypeIsReportedWhenBuilt() {
        let e = makeError("num_output: 2 kernel_size: 3 weight_filler { type: \"gausian\" std: 0.1 }")
        XCTAssertEqual(e?.field, "convolution_param.weight_filler.type")
        XCTAssertTrue(e?.message.contains("gausian") ?? false)
        XCTAssertTrue(e?.hint?.contains("did you mean 'gaussian'?") ?? false, e?.hint ?? "")
        let b = makeError("num_output: 2 kernel_size: 3 bias_filler { type: \"constnt\" }")
        XCTAssertEqual(b?.field, "convolution_param.bias_filler.type")
        XCTAssertTrue(b?.hint?.contains("did you mean 'constant'?") ?? false, b?.hint ?? "")
    }

    func testShapeErrors() throws {
        let layer = try LayerTest.make("type: \"Convolution\" convolution_param { num_output: 2 kernel_size: 3 group: 2 }")
        // 3 channels cannot be split into 2 groups.
        let odd = LayerTest.blob([1, 3, 5, 5])
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(layer, bottom: [odd]) })?.field,
                       "convolution_param.group")
        // A kernel larger than the padded input.
        let big = try LayerTest.make("type: \"Convolution\" convolution_param { num_output: 2 kernel_size: 5 }")
        let small = LayerTest.blob([1, 1, 4, 4])
        XCTAssertEqual(TestSupport.error({ _ = try LayerTest.setUp(big, bottom: [small]) })?.field,
                       "convolution_param.kernel_size")
        // Not 4-D.
        XCTAssertNotNil(TestSupport.error({ _ = try LayerTest.setUp(big, bottom: [LayerTest.blob([2, 6, 6])]) }))
        // Bottoms of different shapes.
        let conv = try LayerTest.make("type: \"Convolution\" convolution_param { num_output: 2 kernel_size: 1 }")
        XCTAssertTrue(TestSupport.error({
            _ = try LayerTest.setUp(conv, bottom: [LayerTest.blob([1, 2, 3, 3]), LayerTest.blob([1, 2, 4, 4])], tops: 2)
        })?.message.contains("same shape") ?? false)
        // Channel count changed after setUp.
        let input = LayerTest.blob([1, 2, 3, 3])
        let top = try LayerTest.setUp(conv, bottom: [input])
        try input.reshape([1, 4, 3, 3])
        XCTAssertNotNil(TestSupport.error({ try conv.reshape(bottom: [input], top: top) }))
    }

    func testInPlaceIsRejected() throws {
        let layer = try LayerTest.make("type: \"Convolution\" convolution_param { num_output: 2 kernel_size: 1 }")
        let x = LayerTest.blob([1, 2, 3, 3])
        let e = TestSupport.error({ try LayerTest.setUp(layer, bottom: [x], top: [x]) })
        XCTAssertTrue(e?.message.contains("in place") ?? false, "\(String(describing: e))")
    }
}

/// The convolution layers of the Caffe fixtures conv_group and conv_dilated, each run
/// alone on Caffe's input with Caffe's weights: outputs and gradients must match.
final class ConvolutionCaffeFixtureTests: XCTestCase {
    func testConvGroup() throws {
        try compare(fixture: "conv_group", layer: "conv", bottom: "data", top: "conv")
    }

    func testConvDilatedSquare() throws {
        try compare(fixture: "conv_dilated", layer: "conv_a", bottom: "data", top: "conv_a")
    }

    func testConvDilatedPerAxisGrouped() throws {
        try compare(fixture: "conv_dilated", layer: "conv_b", bottom: "conv_a", top: "conv_b")
    }

    func compare(fixture: String, layer layerName: String, bottom: String, top: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = TestSupport.caffeFixtures.appendingPathComponent(fixture)
        func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

        // The layer, from its text in net.prototxt.
        let netText = try String(contentsOf: url("net.prototxt"), encoding: .utf8)
        let (net, _) = try Prototxt.decode(Caffe_NetParameter.self, text: netText, file: "net.prototxt")
        let definition = try XCTUnwrap(net.layer.first { $0.name == layerName })
        let layer = try LayerTest.make(definition.textFormatString(), phase: .test)

        // Caffe's blobs, in the order of blobs.txt.
        let names = try String(contentsOf: url("blobs.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[1]) }
        let blobs = try Caffe_BlobProtoVector(serializedBytes: try Data(contentsOf: url("blobs.binaryproto"))).blobs
        XCTAssertEqual(names.count, blobs.count)
        func caffeBlob(_ name: String) throws -> Caffe_BlobProto {
            blobs[try XCTUnwrap(names.firstIndex(of: name), "no blob \(name)")]
        }
        let caffeBottom = try caffeBlob(bottom), caffeTop = try caffeBlob(top)
        let weights = try Caffe_NetParameter(serializedBytes: try Data(contentsOf: url("weights.caffemodel")))
        let grads = try Caffe_NetParameter(serializedBytes: try Data(contentsOf: url("grads.caffemodel")))
        let caffeParams = try XCTUnwrap(weights.layer.first { $0.name == layerName }).blobs
        let caffeGrads = try XCTUnwrap(grads.layer.first { $0.name == layerName }).blobs

        let input = try Blob(shape: caffeBottom.shape.dim.map { Int($0) })
        input.setData(caffeBottom.data)
        let tops = try LayerTest.setUp(layer, bottom: [input])
        XCTAssertEqual(layer.blobs.count, caffeParams.count)
        for (blob, proto) in zip(layer.blobs, caffeParams) {
            XCTAssertEqual(blob.shape, proto.shape.dim.map { Int($0) }, file: file, line: line)
            blob.setData(proto.data)
        }
        XCTAssertEqual(tops[0].shape, caffeTop.shape.dim.map { Int($0) }, file: file, line: line)

        try layer.forward(bottom: [input], top: tops)
        assertClose(tops[0].dataArray, caffeTop.data, relative: 1e-5, "\(layerName) top data", file: file, line: line)

        tops[0].setDiff(caffeTop.diff)
        for blob in layer.blobs { blob.fillDiff(0) }
        try layer.backward(top: tops, propagateDown: [true], bottom: [input])
        assertClose(input.diffArray, caffeBottom.diff, relative: 1e-4, "\(layerName) bottom diff", file: file, line: line)
        for (k, (blob, proto)) in zip(layer.blobs, caffeGrads).enumerated() {
            assertClose(blob.diffArray, proto.diff, relative: 1e-4, "\(layerName) param \(k) diff", file: file, line: line)
        }
    }

    func assertClose(_ actual: [Float], _ expected: [Float], relative: Float, _ what: String,
                     file: StaticString, line: UInt) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        XCTAssertFalse(expected.isEmpty, what, file: file, line: line)
        var failures = 0
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > max(relative * abs(e), 1e-6) {
            failures += 1
            if failures <= 5 { XCTFail("\(what)[\(i)]: \(a), Caffe \(e)", file: file, line: line) }
        }
    }
}


/// After the first pass, forward and backward allocate nothing (columns and the bias
/// multiplier are sized in reshape and reused).
final class ConvolutionAllocationTests: XCTestCase {
    func allocations(_ layer: Layer, bottom: [Blob], top: [Blob]) throws -> Int {
        let down = bottom.map { _ in true }
        try layer.forward(bottom: bottom, top: top)
        try layer.backward(top: top, propagateDown: down, bottom: bottom)
        try AllocationCounter.start()
        for _ in 0..<3 {
            try layer.forward(bottom: bottom, top: top)
            try layer.backward(top: top, propagateDown: down, bottom: bottom)
        }
        return AllocationCounter.stop()
    }

    func testConvolutionAllocatesNothing() throws {
        // Small shapes: large ones reach Parallel.forEach (DispatchQueue.concurrentPerform)
        // and multi-threaded OpenBLAS, which allocate a little on every call by themselves.
        for text in ["num_output: 4 kernel_size: 3 pad: 1 stride: 2 group: 2",
                     "num_output: 4 kernel_size: 1",
                     "num_output: 2 kernel_h: 3 kernel_w: 2 dilation: 2 bias_term: false"] {
            let input = LayerTest.blob([2, 4, 7, 7])
            let layer = try LayerTest.make("type: \"Convolution\" convolution_param { \(text) }")
            let top = try LayerTest.setUp(layer, bottom: [input])
            // Outside the assertion: XCTAssertEqual records an error thrown in its
            // arguments as a failure, so the XCTSkip of a sanitizer build would fail the test.
            let count = try allocations(layer, bottom: [input], top: top)
            XCTAssertEqual(count, 0, text)
        }
    }

    func testInnerProductAllocatesNothing() throws {
        for text in ["num_output: 5", "num_output: 5 transpose: true", "num_output: 5 bias_term: false"] {
            let input = LayerTest.blob([3, 2, 4])
            let layer = try LayerTest.make("type: \"InnerProduct\" inner_product_param { \(text) }")
            let top = try LayerTest.setUp(layer, bottom: [input])
            let count = try allocations(layer, bottom: [input], top: top)  // not in the assertion (above)
            XCTAssertEqual(count, 0, text)
        }
    }
}
