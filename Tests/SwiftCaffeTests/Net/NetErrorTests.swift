import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Mistakes in well-formed net files: each gives one precise error naming the layer,
/// the field and the file position, never a crash.
final class NetErrorTests: XCTestCase {
    let input = #"layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 4 dim: 9 dim: 9 } } }"#

    /// Builds `input` + `body` (the body starts on line 2) and returns the error.
    func error(_ body: String, file: StaticString = #filePath, line: UInt = #line) -> SwiftCaffeError? {
        TestSupport.error({ _ = try TestSupport.buildNet(input + "\n" + body, file: "net.prototxt") },
                          file: file, line: line)
    }

    func assert(_ error: SwiftCaffeError?, layer: String?, line: Int, contains text: String,
                hint: String? = nil, file: StaticString = #filePath, sourceLine: UInt = #line) {
        guard let error else { return }
        XCTAssertEqual(error.kind, .semantic, "\(error)", file: file, line: sourceLine)
        XCTAssertEqual(error.layer, layer, "\(error)", file: file, line: sourceLine)
        XCTAssertEqual(error.location?.file, "net.prototxt", "\(error)", file: file, line: sourceLine)
        XCTAssertEqual(error.location?.line, line, "\(error)", file: file, line: sourceLine)
        XCTAssertTrue(error.message.contains(text), "'\(error.message)' lacks '\(text)'", file: file, line: sourceLine)
        if let hint {
            XCTAssertTrue(error.hint?.contains(hint) ?? false, "hint '\(error.hint ?? "")' lacks '\(hint)'",
                          file: file, line: sourceLine)
        }
    }

    func testUnknownLayerTypeListsRegisteredTypes() {
        let e = error(#"layer { name: "c" type: "Convolutoin" bottom: "x" top: "y" }"#)
        assert(e, layer: "c", line: 2, contains: "unknown layer type 'Convolutoin'", hint: "did you mean 'Convolution'?")
        XCTAssertTrue(e?.hint?.contains("InnerProduct") ?? false)
    }

    func testBottomNothingProduces() {
        let e = error(#"layer { name: "r" type: "ReLU" bottom: "xx" top: "y" }"#)
        assert(e, layer: "r", line: 2, contains: "bottom 'xx' is not produced", hint: "did you mean 'x'?")
    }

    func testBottomProducedLater() {
        let e = error("""
            layer { name: "a" type: "ReLU" bottom: "later" top: "y" }
            layer { name: "b" type: "ReLU" bottom: "x" top: "later" }
            """)
        assert(e, layer: "a", line: 2, contains: "bottom 'later'", hint: "which comes later")
    }

    func testTopProducedTwice() {
        let e = error("""
            layer { name: "a" type: "ReLU" bottom: "x" top: "y" }
            layer { name: "b" type: "ReLU" bottom: "x" top: "y" }
            """)
        assert(e, layer: "b", line: 3, contains: "top 'y' is produced twice")
    }

    func testIncludeAndExcludeTogether() {
        let e = error(#"layer { name: "r" type: "ReLU" bottom: "x" top: "y" include { phase: TRAIN } exclude { phase: TEST } }"#)
        assert(e, layer: "r", line: 2, contains: "both include and exclude")
    }

    func testWrongNumberOfBottoms() {
        let e = error(#"layer { name: "loss" type: "SoftmaxWithLoss" bottom: "x" top: "l" }"#)
        assert(e, layer: "loss", line: 2, contains: "SoftmaxWithLoss takes exactly 2 bottoms, got 1")
    }

    func testWrongNumberOfTops() {
        let e = error(#"layer { name: "r" type: "ReLU" bottom: "x" top: "y" top: "z" }"#)
        assert(e, layer: "r", line: 2, contains: "ReLU takes exactly 1 top, got 2")
    }

    func testGroupNotDividingChannels() {
        let e = error("""
            layer { name: "c" type: "Convolution" bottom: "x" top: "y"
              convolution_param { num_output: 6 kernel_size: 3 group: 3 } }
            """)
        assert(e, layer: "c", line: 3, contains: "group 3 does not divide the 4 input channels")
        XCTAssertEqual(e?.field, "convolution_param.group")
    }

    func testKernelLargerThanPaddedInput() {
        let e = error("""
            layer { name: "c" type: "Convolution" bottom: "x" top: "y"
              convolution_param { num_output: 6 kernel_size: 11 pad: 0 } }
            """)
        assert(e, layer: "c", line: 3, contains: "kernel 11x11 is larger than the padded input 9x9")
    }

    func testZeroStride() {
        let e = error("""
            layer { name: "p" type: "Pooling" bottom: "x" top: "y"
              pooling_param { pool: MAX kernel_size: 3 stride: 0 } }
            """)
        assert(e, layer: "p", line: 3, contains: "stride must be positive")
    }

    func testDropoutRatioOfOne() {
        let e = error(#"layer { name: "d" type: "Dropout" bottom: "x" top: "y" dropout_param { dropout_ratio: 1 } }"#)
        assert(e, layer: "d", line: 2, contains: "dropout_ratio must be in [0, 1)")
    }

    func testNegativeShape() {
        let e = TestSupport.error({
            _ = try TestSupport.buildNet(#"layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: -3 } } }"#,
                                         file: "net.prototxt")
        })
        assert(e, layer: "in", line: 1, contains: "dimension -3 is negative")
    }

    func testConcatShapeMismatch() {
        let e = error("""
            layer { name: "p" type: "Pooling" bottom: "x" top: "y" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "cat" type: "Concat" bottom: "x" bottom: "y" top: "z" }
            """)
        assert(e, layer: "cat", line: 3, contains: "bottom 1 has shape 2x4x5x5 but bottom 0 has 2x4x9x9")
    }

    func testEltwiseShapeMismatch() {
        let e = error("""
            layer { name: "p" type: "Pooling" bottom: "x" top: "y" pooling_param { pool: AVE kernel_size: 3 } }
            layer { name: "sum" type: "Eltwise" bottom: "x" bottom: "y" top: "z" }
            """)
        assert(e, layer: "sum", line: 3, contains: "Eltwise needs equal shapes")
    }

    func testReshapeCountMismatch() {
        let e = error(#"layer { name: "r" type: "Reshape" bottom: "x" top: "y" reshape_param { shape { dim: 2 dim: 100 } } }"#)
        assert(e, layer: "r", line: 2, contains: "cannot reshape 2x4x9x9 (648 values) to 2x100")
    }

    func testMissingNumOutput() {
        let e = error("""
            layer { name: "fc" type: "InnerProduct" bottom: "x" top: "y"
              inner_product_param { } }
            """)
        assert(e, layer: "fc", line: 2, contains: "num_output must be positive")
    }

    func testEvenLRNWindow() {
        let e = error("""
            layer { name: "n" type: "LRN" bottom: "x" top: "y"
              lrn_param { local_size: 4 } }
            """)
        assert(e, layer: "n", line: 3, contains: "local_size must be a positive odd number")
    }

    func testTooManyParamSpecs() {
        let e = error(#"layer { name: "r" type: "ReLU" bottom: "x" top: "y" param { lr_mult: 1 } }"#)
        assert(e, layer: "r", line: 2, contains: "1 param specs for a layer with 0 learnable blobs")
    }

    func testLossWeightCount() {
        let e = error(#"layer { name: "r" type: "ReLU" bottom: "x" top: "y" loss_weight: 1 loss_weight: 2 }"#)
        assert(e, layer: "r", line: 2, contains: "2 loss_weight values for 1 tops")
    }

    func testSharedParameterShapeMismatch() {
        let e = error("""
            layer { name: "a" type: "InnerProduct" bottom: "x" top: "y" param { name: "w" } inner_product_param { num_output: 3 } }
            layer { name: "b" type: "InnerProduct" bottom: "x" top: "z" param { name: "w" } inner_product_param { num_output: 4 } }
            """)
        assert(e, layer: "b", line: 3, contains: "shared parameter 'w' has shape 4x324 here but 3x324 in layer 'a'")
    }

    func testInPlaceOnABlobReadTwice() {
        // x feeds two layers, so Caffe splits it and 'relu' can no longer write x in place.
        let e = error("""
            layer { name: "other" type: "Dropout" bottom: "x" top: "s" }
            layer { name: "relu" type: "ReLU" bottom: "x" top: "x" }
            """)
        assert(e, layer: "relu", line: 3, contains: "top 'x' is produced twice", hint: "cannot be changed in place")
    }

    func testPoolingPadNotSmallerThanKernel() {
        let e = error(#"layer { name: "p" type: "Pooling" bottom: "x" top: "y" pooling_param { kernel_size: 2 pad: 2 } }"#)
        assert(e, layer: "p", line: 2, contains: "pad 2x2 must be smaller than the kernel 2x2")
    }

    func testLabelCountMismatch() {
        let e = error("""
            layer { name: "lbl" type: "Input" top: "label" input_param { shape { dim: 3 } } }
            layer { name: "fc" type: "InnerProduct" bottom: "x" top: "s" inner_product_param { num_output: 5 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s" bottom: "label" top: "l" }
            """)
        assert(e, layer: "loss", line: 4, contains: "must hold one value per prediction: 2")
    }

    func testErrorTextHasPositionLayerAndHint() {
        let e = error(#"layer { name: "c" type: "Convolutoin" bottom: "x" top: "y" }"#)
        let text = e?.description ?? ""
        XCTAssertTrue(text.hasPrefix("net.prototxt:2:19: error: unknown layer type 'Convolutoin'"), text)
        XCTAssertTrue(text.contains("layer 'c'"), text)
        XCTAssertTrue(text.contains("hint: did you mean 'Convolution'?"), text)
    }
}
