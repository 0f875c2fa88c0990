import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Layers compared field by field through their text format: every `*_param`,
/// `param` (lr_mult/decay_mult) and filler, with unset fields at their defaults.
final class LayerSettingsTests: XCTestCase {
    func layer(_ text: String) throws -> Caffe_LayerParameter {
        try Prototxt.decode(Caffe_LayerParameter.self, text: text, file: "layer.prototxt").message
    }

    func differences(_ a: String, _ b: String) throws -> [String] {
        LayerSettings.differences([LayerSettings(try layer(a)), LayerSettings(try layer(b))])
            .map { "\($0.path): \($0.values.joined(separator: " | "))" }
    }

    func testFlattensNestedAndRepeatedFieldsIntoPaths() throws {
        let settings = LayerSettings(try layer("""
            name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
            param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
            convolution_param { num_output: 256 pad: 2 kernel_size: 5 group: 2
              weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" value: 0.1 } }
            """))
        XCTAssertEqual(settings.settings.map { "\($0.path)=\($0.value)" }, [
            "param[0].lr_mult=1", "param[0].decay_mult=1", "param[1].lr_mult=2", "param[1].decay_mult=0",
            "convolution_param.num_output=256", "convolution_param.pad=2", "convolution_param.kernel_size=5",
            "convolution_param.group=2", "convolution_param.weight_filler.type=gaussian",
            "convolution_param.weight_filler.std=0.01", "convolution_param.bias_filler.type=constant",
            "convolution_param.bias_filler.value=0.1",
        ], "name, type, bottom and top are wiring, not settings")
    }

    func testConvolutionGeometryGroupsAndFillers() throws {
        let a = """
            name: "c" type: "Convolution" convolution_param { num_output: 96 kernel_size: 11 stride: 4 group: 2
              weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" value: 0.1 } }
            """
        let b = """
            name: "c" type: "Convolution" convolution_param { num_output: 96 kernel_size: 7 stride: 2 pad: 1
              weight_filler { type: "xavier" } bias_filler { type: "constant" value: 1 } }
            """
        XCTAssertEqual(try differences(a, b), [
            "convolution_param.kernel_size: 11 | 7",
            "convolution_param.group: 2 | 1",
            "convolution_param.stride: 4 | 2",
            "convolution_param.weight_filler.type: gaussian | xavier",
            "convolution_param.weight_filler.std: 0.01 | 1",
            "convolution_param.bias_filler.value: 0.1 | 1",
            "convolution_param.pad: [] | 1",
        ])
    }

    func testUnsetFieldsCompareAtTheirDefaults() throws {
        // Written out or left to the schema's default: the same layer.
        XCTAssertEqual(try differences(#"name: "d" type: "Dropout""#,
                                       #"name: "d" type: "Dropout" dropout_param { dropout_ratio: 0.5 }"#), [])
        XCTAssertEqual(try differences(#"name: "l" type: "LRN" lrn_param { local_size: 5 }"#,
                                       #"name: "l" type: "LRN" lrn_param { alpha: 1.0 beta: 0.75 k: 1 norm_region: ACROSS_CHANNELS }"#), [])
        XCTAssertEqual(try differences(#"name: "p" type: "Pooling" pooling_param { pool: MAX stride: 1 }"#,
                                       #"name: "p" type: "Pooling""#), [])
        // A missing ParamSpec learns like lr_mult 1, decay_mult 1.
        XCTAssertEqual(try differences(#"name: "f" type: "InnerProduct" param { lr_mult: 1 decay_mult: 1 }"#,
                                       #"name: "f" type: "InnerProduct""#), [])
        // But a changed value shows the default it replaced.
        XCTAssertEqual(try differences(#"name: "d" type: "Dropout""#,
                                       #"name: "d" type: "Dropout" dropout_param { dropout_ratio: 0.4 }"#),
                       ["dropout_param.dropout_ratio: 0.5 | 0.4"])
        XCTAssertEqual(try differences(#"name: "p" type: "Pooling" pooling_param { pool: AVE }"#, #"name: "p" type: "Pooling""#),
                       ["pooling_param.pool: AVE | MAX"])
    }

    func testLearningRateAndDecayMultipliers() throws {
        let a = #"name: "f" type: "InnerProduct" param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }"#
        let b = #"name: "f" type: "InnerProduct" param { lr_mult: 0 } param { lr_mult: 2 }"#
        XCTAssertEqual(try differences(a, b), ["param[0].lr_mult: 1 | 0", "param[1].decay_mult: 0 | 1"])
    }

    /// Fields nobody wrote code for are compared all the same (here LRN's k, a loss weight
    /// and a data layer's transform).
    func testAnyOtherFieldIsComparedGenerically() throws {
        XCTAssertEqual(try differences(#"name: "n" type: "LRN" lrn_param { k: 2 }"#, #"name: "n" type: "LRN""#),
                       ["lrn_param.k: 2 | 1"])
        XCTAssertEqual(try differences(#"name: "l" type: "SoftmaxWithLoss" loss_weight: 0.5"#,
                                       #"name: "l" type: "SoftmaxWithLoss""#),
                       ["loss_weight: 0.5 | []"])
        XCTAssertEqual(try differences(
            #"name: "d" type: "Data" transform_param { crop_size: 227 mirror: true mean_value: [104, 117, 123] }"#,
            #"name: "d" type: "Data" transform_param { crop_size: 224 mean_value: 104 mean_value: 117 mean_value: 123 }"#),
                       ["transform_param.mirror: true | false", "transform_param.crop_size: 227 | 224"])
    }

    func testNumbersAreWrittenAsInPrototxtFiles() {
        XCTAssertEqual(NumberText.format(1), "1")
        XCTAssertEqual(NumberText.format(-2), "-2")
        XCTAssertEqual(NumberText.format(Double(Float(0.1))), "0.1")
        XCTAssertEqual(NumberText.format(Double(Float(0.0001))), "0.0001")
        XCTAssertEqual(NumberText.format(0.75), "0.75")
        XCTAssertEqual(NumberText.format(.infinity), "inf")
    }
}
