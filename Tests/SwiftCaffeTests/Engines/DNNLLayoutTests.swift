import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Whole nets on the dnnl engine against the reference: the net's plan (ReLU fused into
/// the convolution, standalone oneDNN ReLUs) and blobs that stay in the blocked layout
/// between oneDNN layers, converted to plain NCHW only when a plain reader asks.
final class DNNLLayoutTests: XCTestCase {
    /// conv → in-place ReLU (fused) → pool → in-place ReLU (oneDNN alone) → LRN → conv
    /// → out-of-place leaky ReLU → a blob read by two layers (split) → InnerProduct and
    /// a reference ReLU; every blob and gradient agrees with the reference engine.
    func testBlockedFlowMatchesTheReference() throws {
        let text = """
            layer { name: "data" type: "Input" top: "data" top: "label"
                    input_param { shape { dim: 3 dim: 5 dim: 17 dim: 15 } shape { dim: 3 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                    convolution_param { num_output: 32 kernel_size: 3 pad: 1
                                        weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: 0.1 } } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" relu_param { negative_slope: 0.1 } }
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
            layer { name: "relu_pool" type: "ReLU" bottom: "pool1" top: "pool1" }
            layer { name: "norm1" type: "LRN" bottom: "pool1" top: "norm1" lrn_param { local_size: 3 alpha: 0.3 beta: 0.75 } }
            layer { name: "conv2" type: "Convolution" bottom: "norm1" top: "conv2"
                    convolution_param { num_output: 16 group: 2 kernel_size: 3 pad: 1
                                        weight_filler { type: "gaussian" std: 0.05 } bias_filler { type: "constant" value: 0.1 } } }
            layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "relu2" relu_param { negative_slope: 0.2 } }
            layer { name: "ip" type: "InnerProduct" bottom: "relu2" top: "ip"
                    inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
            layer { name: "relu_ip" type: "ReLU" bottom: "ip" top: "ip" }
            layer { name: "ip_side" type: "InnerProduct" bottom: "relu2" top: "ip_side"
                    inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
            layer { name: "sum" type: "Eltwise" bottom: "ip" bottom: "ip_side" top: "sum" }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "sum" bottom: "label" top: "loss" }
            """
        let reference = try build(text, .openblas), fast = try build(text, .dnnl)
        XCTAssertTrue(fast.layer(named: "conv1")!.engineDescription.hasSuffix("+ relu"),
                      fast.layer(named: "conv1")!.engineDescription)
        XCTAssertTrue(fast.layer(named: "relu1")!.engineDescription.contains("fused into conv1"))
        XCTAssertTrue(fast.layer(named: "relu_pool")!.engineDescription.hasPrefix("dnnl"))
        XCTAssertFalse(fast.layer(named: "relu_pool")!.engineDescription.contains("fused"))
        XCTAssertTrue(fast.layer(named: "relu2")!.engineDescription.hasPrefix("dnnl"))
        XCTAssertEqual(fast.layer(named: "relu_ip")!.engineDescription, "openblas")  // after a BLAS layer
        try compareTwoPasses(reference, fast) {
            // Between oneDNN layers nothing is converted: these read and write engine
            // copies only (channels per group are whole blocks of 8 or 16, so every
            // primitive picks the same layout). relu2's output is converted (lazily) for
            // the split, a plain reader. (Read before the comparison converts every blob.)
            for name in ["pool1", "norm1"] {
                XCTAssertEqual(fast.layer(named: name)!.conversionNanoseconds, 0, "\(name) converted a layout")
            }
            XCTAssertGreaterThan(fast.layer(named: "relu2")!.conversionNanoseconds, 0)
        }
    }

    /// A ReLU that must not be fused keeps its own forward: in place with a negative
    /// slope (the mask is not in y), and a convolution whose top is read elsewhere first.
    func testReLUsThatCannotBeFusedStayCorrect() throws {
        let text = """
            layer { name: "data" type: "Input" top: "data" top: "label"
                    input_param { shape { dim: 2 dim: 8 dim: 9 dim: 9 } shape { dim: 2 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                    convolution_param { num_output: 8 kernel_size: 3
                                        weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: -0.1 } } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" relu_param { negative_slope: -0.3 } }
            layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
                    convolution_param { num_output: 8 kernel_size: 3
                                        weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: 0.1 } } }
            layer { name: "pool" type: "Pooling" bottom: "conv2" top: "pool" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
            layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "relu2" }
            layer { name: "ip" type: "InnerProduct" bottom: "relu2" top: "ip"
                    inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
            layer { name: "ip2" type: "InnerProduct" bottom: "pool" top: "ip2"
                    inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
            layer { name: "sum" type: "Eltwise" bottom: "ip" bottom: "ip2" top: "sum" }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "sum" bottom: "label" top: "loss" }
            """
        let reference = try build(text, .openblas), fast = try build(text, .dnnl)
        XCTAssertFalse(fast.layer(named: "conv1")!.engineDescription.contains("relu"))
        XCTAssertEqual(fast.layer(named: "relu1")!.engineDescription, "openblas")
        XCTAssertFalse(fast.layer(named: "conv2")!.engineDescription.contains("relu"))
        try compareTwoPasses(reference, fast)
    }

    // MARK: Helpers

    private func build(_ text: String, _ engine: ComputeEngine) throws -> Net {
        var options = NetBuildOptions(phase: .train)
        options.engine = engine
        let param = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "net.prototxt").message
        let net = try NetBuilder.build(try NetDefinition(param: param), options: options)
        let data = try XCTUnwrap(net.blob(named: "data"))
        let input = LayerTest.blob(data.shape, seed: 11)
        data.data.update(from: input.data, count: data.count)
        let label = try XCTUnwrap(net.blob(named: "label"))
        label.setData((0..<label.count).map { Float($0 % 3) })
        return net
    }

    /// Two forward/backward passes (the second runs on the engine copies the first left,
    /// parameter gradients accumulating), then every blob compared.
    private func compareTwoPasses(_ reference: Net, _ fast: Net, file: StaticString = #filePath, line: UInt = #line,
                                  beforeComparing: () -> Void = {}) throws {
        for _ in 0..<2 {
            let lossReference = try reference.forward(), lossFast = try fast.forward()
            XCTAssertEqual(lossFast, lossReference, accuracy: 1e-4 * abs(lossReference), file: file, line: line)
            try reference.backward()
            try fast.backward()
        }
        beforeComparing()
        for (id, name) in reference.blobNames.enumerated() where name != "label" {
            assertClose(fast.blobs[id].dataArray, reference.blobs[id].dataArray, "\(name) data", file: file, line: line)
            assertClose(fast.blobs[id].diffArray, reference.blobs[id].diffArray, "\(name) diff", file: file, line: line)
        }
        for (k, blob) in reference.learnableParams.enumerated() {
            assertClose(fast.learnableParams[k].diffArray, blob.diffArray, "param \(k) diff", file: file, line: line)
        }
    }

    /// |a − b| ≤ 1e-4 · max(|a|, |b|, 0.01, 0.01 · the blob's largest |value|) everywhere:
    /// relative, with a floor for values that are sums cancelling to near 0 (their
    /// rounding error follows the size of the summands, not of the result).
    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String,
                             file: StaticString, line: UInt) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let floor = max(0.01, 0.01 * (expected.map(abs).max() ?? 0))
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > 1e-4 * max(abs(a), abs(e), floor) {
            XCTFail("\(what)[\(i)]: dnnl \(a), openblas \(e)", file: file, line: line)
            return
        }
    }
}
