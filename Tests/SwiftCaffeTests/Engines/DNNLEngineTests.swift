import CaffeProto
import XCTest
@testable import SwiftCaffe

/// The dnnl engine against the reference (openblas) engine on random inputs of odd
/// shapes: the same layer definition built on each, the same weights, inputs and top
/// gradients; outputs, bottom gradients and (accumulated) parameter gradients agree to
/// 1e-4 relative.
final class DNNLEngineTests: XCTestCase {
    func testConvolutionWithGroupsDilationPadAndStride() throws {
        try compare("""
            type: "Convolution"
            convolution_param { num_output: 4 group: 2 kernel_size: 3 dilation: 2 pad: 1 stride: 2
                                weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.5 } }
            """, bottom: [3, 6, 11, 13])
    }

    func testConvolutionRectangularWithoutBias() throws {
        try compare("""
            type: "Convolution"
            convolution_param { num_output: 5 bias_term: false kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2
                                pad_h: 0 pad_w: 1 weight_filler { type: "gaussian" std: 0.3 } }
            """, bottom: [2, 5, 9, 8])
    }

    func testPointwiseConvolution() throws {
        try compare("""
            type: "Convolution"
            convolution_param { num_output: 7 kernel_size: 1
                                weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.5 } }
            """, bottom: [2, 17, 5, 3])
    }

    func testMaxPoolingWithCeilOverhang() throws {
        try compare("type: \"Pooling\" pooling_param { pool: MAX kernel_size: 3 stride: 2 }", bottom: [2, 5, 12, 13])
    }

    func testMaxPoolingWithPadding() throws {
        try compare("type: \"Pooling\" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }", bottom: [2, 3, 11, 12])
    }

    func testAveragePoolingWithoutPaddingClipsAtTheCeilEdge() throws {
        try compare("type: \"Pooling\" pooling_param { pool: AVE kernel_size: 3 stride: 2 }", bottom: [2, 5, 12, 10])
    }

    func testAveragePoolingCountsPadding() throws {
        try compare("type: \"Pooling\" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }", bottom: [2, 4, 9, 9])
    }

    /// Caffe's divisor there (clipped to H + pad) is none of oneDNN's: the reference computes it.
    func testAveragePoolingWithPaddingAndCeilOverhangStaysOnTheReference() throws {
        let layer = try LayerTest.make("type: \"Pooling\" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }")
        layer.requestedEngine = .dnnl
        _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([1, 2, 10, 10])])
        XCTAssertEqual(layer.engineDescription, "openblas")
        XCTAssertTrue(layer.notes.contains { $0.contains("computed on openblas") }, "\(layer.notes)")
    }

    /// oneDNN's fast LRN needs whole channel blocks (AlexNet's 96 and 256 channels are).
    func testLRNAcrossChannels() throws {
        try compare("type: \"LRN\" lrn_param { local_size: 5 alpha: 0.5 beta: 0.75 k: 2 }", bottom: [2, 32, 5, 7])
    }

    func testLRNWithinChannel() throws {
        try compare("type: \"LRN\" lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 norm_region: WITHIN_CHANNEL }",
                    bottom: [2, 32, 7, 6])
    }

    /// Where oneDNN would run its reference kernel (LRN over 7 channels), the layer
    /// stays on the reference engine and says why.
    func testReferenceKernelsAreRefused() throws {
        let layer = try LayerTest.make("type: \"LRN\" lrn_param { local_size: 5 alpha: 0.5 beta: 0.75 }")
        layer.requestedEngine = .dnnl
        _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([2, 7, 5, 6])])
        XCTAssertEqual(layer.engineDescription, "openblas")
        XCTAssertTrue(layer.notes.contains { $0.contains("reference kernel") }, "\(layer.notes)")
    }

    /// A ReLU the net's plan puts on oneDNN (`runsOnEngine`), out of place, plain and leaky.
    func testStandaloneReLU() throws {
        func onEngine(_ layer: Layer) { (layer as? ReLULayer)?.runsOnEngine = true }
        try compare("type: \"ReLU\"", bottom: [2, 11, 5, 7], configure: onEngine)
        try compare("type: \"ReLU\" relu_param { negative_slope: 0.2 }", bottom: [3, 8, 4, 5], configure: onEngine)
    }

    /// In place with a negative slope y's sign is not x's: oneDNN cannot read the mask
    /// from y, so the layer keeps Caffe's loops (and its saved copy of x).
    func testInPlaceReLUWithNegativeSlopeStaysOnTheReference() throws {
        let layer = try LayerTest.make("type: \"ReLU\" relu_param { negative_slope: -0.5 }")
        layer.requestedEngine = .dnnl
        (layer as? ReLULayer)?.runsOnEngine = true
        let blob = LayerTest.blob([1, 8, 3, 3])
        try LayerTest.setUp(layer, bottom: [blob], top: [blob])
        XCTAssertEqual(layer.engineDescription, "openblas")
    }

    /// `engine: CAFFE` keeps a layer on the reference even when the net asks for dnnl.
    func testCaffeEngineFieldKeepsTheReference() throws {
        let layer = try LayerTest.make("""
            type: "Convolution" convolution_param { num_output: 2 kernel_size: 3 engine: CAFFE }
            """)
        layer.requestedEngine = .dnnl
        _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([1, 2, 5, 5])])
        XCTAssertEqual(layer.engineDescription, "openblas")
    }

    /// A small net with an in-place ReLU after a grouped, dilated convolution, ceil
    /// pooling and LRN: every blob and gradient agrees between the engines.
    func testNetWithInPlaceReLUMatchesTheReference() throws {
        let text = """
            layer { name: "data" type: "Input" top: "data" top: "label"
                    input_param { shape { dim: 3 dim: 4 dim: 15 dim: 14 } shape { dim: 3 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                    convolution_param { num_output: 6 group: 2 kernel_size: 3 dilation: 2 pad: 2
                                        weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: 0.1 } } }
            layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
            layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
            layer { name: "norm" type: "LRN" bottom: "pool" top: "norm" lrn_param { local_size: 3 alpha: 0.3 beta: 0.75 } }
            layer { name: "ip" type: "InnerProduct" bottom: "norm" top: "ip"
                    inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """
        func build(_ engine: ComputeEngine) throws -> Net {
            var options = NetBuildOptions(phase: .train)
            options.engine = engine
            let net = try NetBuilder.build(try NetDefinition(param: try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "net.prototxt").message), options: options)
            let data = net.blobs[try XCTUnwrap(net.blobNames.firstIndex(of: "data"))]
            let input = LayerTest.blob(data.shape, seed: 11)
            data.data.update(from: input.data, count: data.count)
            let label = net.blobs[try XCTUnwrap(net.blobNames.firstIndex(of: "label"))]
            label.setData([0, 3, 4])
            return net
        }
        let reference = try build(.openblas), fast = try build(.dnnl)
        XCTAssertTrue(fast.layer(named: "conv")?.engineDescription.hasPrefix("dnnl") ?? false)
        let lossReference = try reference.forward(), lossFast = try fast.forward()
        XCTAssertEqual(lossFast, lossReference, accuracy: 1e-4 * abs(lossReference))
        try reference.backward()
        try fast.backward()
        for (id, name) in reference.blobNames.enumerated() where name != "label" {
            assertClose(fast.blobs[id].dataArray, reference.blobs[id].dataArray, "\(name) data")
            assertClose(fast.blobs[id].diffArray, reference.blobs[id].diffArray, "\(name) diff")
        }
        for (k, blob) in reference.learnableParams.enumerated() {
            assertClose(fast.learnableParams[k].diffArray, blob.diffArray, "param \(k) diff")
        }
    }

    // MARK: Helpers

    /// One layer definition on both engines: forward, then backward with the same top
    /// gradient onto parameter gradients that already hold values (Caffe accumulates).
    private func compare(_ text: String, bottom shape: [Int], file: StaticString = #filePath, line: UInt = #line,
                         configure: (Layer) -> Void = { _ in }) throws {
        let reference = try LayerTest.make(text), fast = try LayerTest.make(text)
        fast.requestedEngine = .dnnl
        configure(fast)
        let bottomReference = LayerTest.blob(shape, seed: 3), bottomFast = LayerTest.blob(shape, seed: 3)
        let topReference = try LayerTest.setUp(reference, bottom: [bottomReference])
        let topFast = try LayerTest.setUp(fast, bottom: [bottomFast])
        XCTAssertTrue(fast.engineDescription.hasPrefix("dnnl "), "\(fast.engineDescription) \(fast.notes)",
                      file: file, line: line)
        XCTAssertFalse(fast.engineDescription.contains("ref"), fast.engineDescription, file: file, line: line)
        for (k, blob) in reference.blobs.enumerated() {
            fast.blobs[k].data.update(from: blob.data, count: blob.count)
            let start = LayerTest.blob(blob.shape, seed: UInt64(20 + k))
            blob.diff.update(from: start.data, count: blob.count)
            fast.blobs[k].diff.update(from: start.data, count: blob.count)
        }
        try reference.forward(bottom: [bottomReference], top: topReference)
        try fast.forward(bottom: [bottomFast], top: topFast)
        assertClose(topFast[0].dataArray, topReference[0].dataArray, "top", file: file, line: line)
        let gradient = LayerTest.blob(topReference[0].shape, seed: 5)
        topReference[0].diff.update(from: gradient.data, count: gradient.count)
        topFast[0].diff.update(from: gradient.data, count: gradient.count)
        try reference.backward(top: topReference, propagateDown: [true], bottom: [bottomReference])
        try fast.backward(top: topFast, propagateDown: [true], bottom: [bottomFast])
        assertClose(bottomFast.diffArray, bottomReference.diffArray, "bottom diff", file: file, line: line)
        for (k, blob) in reference.blobs.enumerated() {
            assertClose(fast.blobs[k].diffArray, blob.diffArray, "param \(k) diff", file: file, line: line)
        }
    }
}

/// The dnnl engine keeps converted copies of parameters (blocked weights) and of the
/// inner product's weights in TEST nets: a change of the weights between two forwards
/// must reach the second one.
final class DNNLParameterCacheTests: XCTestCase {
    func testInnerProductInATestNetRunsOnOneDNNAndMatchesTheReference() throws {
        for text in ["num_output: 32", "num_output: 6 transpose: true", "num_output: 3 bias_term: false axis: 2"] {
            let definition = """
                type: "InnerProduct" inner_product_param { \(text)
                    weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.5 } }
                """
            let (reference, fast) = try pair(definition, bottom: [3, 16, 4, 4])
            XCTAssertTrue(fast.layer.engineDescription.hasPrefix("dnnl "), "\(fast.layer.engineDescription) \(fast.layer.notes)")
            if text == "num_output: 32" {
                // 32 × 256 weights: oneDNN reorders them, so the cache is what is tested.
                XCTAssertEqual((fast.layer as? InnerProductLayer)?.dnnl?.convertsWeights, true, fast.layer.engineDescription)
            }
            try checkForwardsAgree(reference, fast, text)
        }
    }

    func testInnerProductInATrainNetStaysOnOpenBLAS() throws {
        let layer = try LayerTest.make("type: \"InnerProduct\" inner_product_param { num_output: 4 }", phase: .train)
        layer.requestedEngine = .dnnl
        _ = try LayerTest.setUp(layer, bottom: [LayerTest.blob([2, 8])])
        XCTAssertEqual(layer.engineDescription, "openblas")
    }

    func testConvolutionSeesNewWeights() throws {
        let (reference, fast) = try pair("""
            type: "Convolution" convolution_param { num_output: 16 kernel_size: 3 pad: 1
                weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.5 } }
            """, bottom: [2, 16, 7, 6], phase: .train)
        XCTAssertTrue(fast.layer.engineDescription.hasPrefix("dnnl "))
        try checkForwardsAgree(reference, fast, "convolution")
    }

    private struct Built { let layer: Layer; let bottom: Blob; let top: [Blob] }

    private func pair(_ text: String, bottom shape: [Int], phase: Caffe_Phase = .test) throws -> (Built, Built) {
        func build(_ engine: ComputeEngine) throws -> Built {
            let layer = try LayerTest.make(text, phase: phase)
            layer.requestedEngine = engine
            let bottom = LayerTest.blob(shape, seed: 3)
            let top = try LayerTest.setUp(layer, bottom: [bottom])
            return Built(layer: layer, bottom: bottom, top: top)
        }
        let reference = try build(.openblas), fast = try build(.dnnl)
        for (k, blob) in reference.layer.blobs.enumerated() { fast.layer.blobs[k].setData(blob.dataArray) }
        return (reference, fast)
    }

    /// Forward twice on the same input, the weights and bias scaled in between (as a
    /// solver step would, through `data`): both engines agree both times, and the
    /// second output differs from the first.
    private func checkForwardsAgree(_ reference: Built, _ fast: Built, _ what: String) throws {
        try reference.layer.forward(bottom: [reference.bottom], top: reference.top)
        try fast.layer.forward(bottom: [fast.bottom], top: fast.top)
        let first = fast.top[0].dataArray
        assertClose(first, reference.top[0].dataArray, "\(what): first forward")
        for built in [reference, fast] {
            for blob in built.layer.blobs {
                let values = blob.data
                for i in 0..<blob.count { values[i] = -1.5 * values[i] + 0.25 }
            }
        }
        try reference.layer.forward(bottom: [reference.bottom], top: reference.top)
        try fast.layer.forward(bottom: [fast.bottom], top: fast.top)
        let second = fast.top[0].dataArray
        assertClose(second, reference.top[0].dataArray, "\(what): forward after the weights changed")
        XCTAssertNotEqual(first, second, "\(what): the new weights changed nothing")
    }
}

/// Where oneDNN's heuristics choose Winograd (`dnnl_convolution_auto`: AVX-512, 3×3
/// stride 1, wide and ungrouped, as CaffeNet's conv3), the results still match the
/// reference to 1e-4. On machines without it the same shape runs direct.
final class DNNLWinogradTests: XCTestCase {
    func testWideThreeByThreeConvolutionMatchesTheReference() throws {
        let text = """
            type: "Convolution" convolution_param { num_output: 256 kernel_size: 3 pad: 1
                weight_filler { type: "gaussian" std: 0.02 } bias_filler { type: "constant" value: 0.1 } }
            """
        let reference = try LayerTest.make(text), fast = try LayerTest.make(text)
        fast.requestedEngine = .dnnl
        let shape = [4, 256, 7, 7]
        let bottomReference = LayerTest.blob(shape, seed: 3), bottomFast = LayerTest.blob(shape, seed: 3)
        let topReference = try LayerTest.setUp(reference, bottom: [bottomReference])
        let topFast = try LayerTest.setUp(fast, bottom: [bottomFast])
        print("256 → 256, 3×3 on dnnl: \(fast.engineDescription)")
        for (k, blob) in reference.blobs.enumerated() { fast.blobs[k].setData(blob.dataArray) }
        try reference.forward(bottom: [bottomReference], top: topReference)
        try fast.forward(bottom: [bottomFast], top: topFast)
        let gradient = LayerTest.blob(topReference[0].shape, seed: 5)
        topReference[0].setDiff(gradient.dataArray)
        topFast[0].setDiff(gradient.dataArray)
        for layer in [reference, fast] { for blob in layer.blobs { blob.fillDiff(0) } }
        try reference.backward(top: topReference, propagateDown: [true], bottom: [bottomReference])
        try fast.backward(top: topFast, propagateDown: [true], bottom: [bottomFast])
        let pairs = [("top", topFast[0].dataArray, topReference[0].dataArray),
                     ("bottom diff", bottomFast.diffArray, bottomReference.diffArray),
                     ("weight diff", fast.blobs[0].diffArray, reference.blobs[0].diffArray),
                     ("bias diff", fast.blobs[1].diffArray, reference.blobs[1].diffArray)]
        for (what, actual, expected) in pairs {
            // Relative to the largest value: Winograd's error scales with the sums, not each element.
            let scale = expected.map(abs).max() ?? 1
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4 * scale, "\(what): worst difference \(worst), largest value \(scale)")
        }
    }
}

/// |a − b| ≤ 1e-4 · max(|a|, |b|, 0.01) everywhere (relative, with a floor for values near 0).
private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > 1e-4 * max(abs(a), abs(e), 0.01) {
        XCTFail("\(what)[\(i)]: dnnl \(a), openblas \(e)", file: file, line: line)
        return
    }
}
