import XCTest
@testable import SwiftCaffe
import CaffeProto

/// Well-formed text format decodes into the generated caffe.proto messages.
/// (Diagnostics for bad input are in PrototxtErrorTests.swift.)
final class PrototxtTests: XCTestCase {
    private func net(_ text: String) throws -> Caffe_NetParameter {
        try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "net.prototxt").message
    }

    func testCommentsAndSpacingAnywhere() throws {
        let text = """
        # A net.
        name: "tiny"   # trailing comment
        force_backward:true
        layer {# comment right after the brace
          name : "conv1"
          type:"Convolution"
          bottom: "data" top: "conv1"
          convolution_param
          {
            num_output: 8   kernel_size: 3
            # comment between fields
            stride: 2
          }
        }
        # final comment without newline
        """
        let net = try net(text)
        XCTAssertEqual(net.name, "tiny")
        XCTAssertTrue(net.forceBackward)
        XCTAssertEqual(net.layer.count, 1)
        XCTAssertEqual(net.layer[0].name, "conv1")
        XCTAssertEqual(net.layer[0].type, "Convolution")
        XCTAssertEqual(net.layer[0].bottom, ["data"])
        XCTAssertEqual(net.layer[0].top, ["conv1"])
        XCTAssertEqual(net.layer[0].convolutionParam.numOutput, 8)
        XCTAssertEqual(net.layer[0].convolutionParam.kernelSize, [3])
        XCTAssertEqual(net.layer[0].convolutionParam.stride, [2])
    }

    func testEverythingOnOneLineWithSeparatorsAndAngleBrackets() throws {
        let text = #"name: "n", layer < name: "p"; type: "Pooling"; pooling_param: { pool: AVE, kernel_size: 2 } >; layer: { name: "r" type: "ReLU" }"#
        let net = try net(text)
        XCTAssertEqual(net.name, "n")
        XCTAssertEqual(net.layer.map(\.name), ["p", "r"])
        XCTAssertEqual(net.layer[0].poolingParam.pool, .ave)
        XCTAssertEqual(net.layer[0].poolingParam.kernelSize, 2)
        XCTAssertEqual(net.layer[1].type, "ReLU")
    }

    func testRepeatedFieldsOneByOneAndAsLists() throws {
        let separate = try net("input_dim: 1 input_dim: 3 input_dim: 227 input_dim: 227")
        let list = try net("input_dim: [1, 3, 227, 227]")
        XCTAssertEqual(separate.inputDim, [1, 3, 227, 227])
        XCTAssertEqual(list.inputDim, [1, 3, 227, 227])
        let shapes = try net("input_shape [ { dim: [2, 3] }, { dim: 5 } ] input_shape: [] input: ['a', \"b\"]")
        XCTAssertEqual(shapes.inputShape.map(\.dim), [[2, 3], [5]])
        XCTAssertEqual(shapes.input, ["a", "b"])
    }

    func testIntegerForms() throws {
        let dims = try net("input_dim: 0x1F input_dim: 017 input_dim: 0 input_dim: -5 input_dim: - 2 input_dim: +4 input_dim: -2147483648").inputDim
        XCTAssertEqual(dims, [31, 15, 0, -5, -2, 4, Int32.min])
        let shape = try net("input_shape { dim: 9223372036854775807 dim: -9223372036854775808 dim: 0X10 }").inputShape[0]
        XCTAssertEqual(shape.dim, [Int64.max, Int64.min, 16])
    }

    func testFloatForms() throws {
        let text = """
        layer { loss_weight: 1e-4 loss_weight: .5 loss_weight: 0.1f loss_weight: 1.F loss_weight: 2
                loss_weight: -3.5e+2 loss_weight: 1E3 loss_weight: inf loss_weight: -Infinity loss_weight: NaN
                loss_weight: 0f loss_weight: 0x10 loss_weight: 99999999999999999999999 }
        """
        let weights = try net(text).layer[0].lossWeight
        XCTAssertEqual(Array(weights[0..<7]), [1e-4, 0.5, 0.1, 1, 2, -350, 1000])
        XCTAssertEqual(weights[7], .infinity)
        XCTAssertEqual(weights[8], -.infinity)
        XCTAssertTrue(weights[9].isNaN)
        XCTAssertEqual(Array(weights[10...]), [0, 16, Float(1e23 as Double)])
    }

    func testStringEscapesQuotesAndConcatenation() throws {
        let net = try net(#"name: 'it\'s' "\t\"x\"\\" '\x41\102\n' "\u00e9" input: "é日本""#)
        XCTAssertEqual(net.name, "it's\t\"x\"\\AB\né")
        XCTAssertEqual(net.input, ["é日本"])
    }

    func testBoolForms() throws {
        XCTAssertTrue(try net("force_backward: true").forceBackward)
        XCTAssertTrue(try net("force_backward: True").forceBackward)
        XCTAssertTrue(try net("force_backward: t").forceBackward)
        XCTAssertTrue(try net("force_backward: 1").forceBackward)
        XCTAssertFalse(try net("force_backward: false debug_info: f").forceBackward)
        XCTAssertTrue(try net("force_backward: 0 debug_info: True").debugInfo)
    }

    func testEnumsByNameAndByNumber() throws {
        let net = try net("layer { pooling_param { pool: 2 } } layer { pooling_param { pool: STOCHASTIC round_mode: FLOOR } }")
        XCTAssertEqual(net.layer[0].poolingParam.pool, .stochastic)
        XCTAssertEqual(net.layer[1].poolingParam.pool, .stochastic)
        XCTAssertEqual(net.layer[1].poolingParam.roundMode, .floor)
    }

    func testV1LayersDecodeIntoLayers() throws {
        let text = """
        name: "old"
        input: "data" input_dim: 10 input_dim: 3 input_dim: 227 input_dim: 227
        layers {
          name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
          blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
          convolution_param { num_output: 96 kernel_size: 11 stride: 4 }
        }
        layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
        """
        let net = try net(text)
        XCTAssertEqual(net.layer.count, 0)
        XCTAssertEqual(net.layers.count, 2)
        XCTAssertEqual(net.layers[0].type, .convolution)
        XCTAssertEqual(net.layers[0].blobsLr, [1, 2])
        XCTAssertEqual(net.layers[0].weightDecay, [1, 0])
        XCTAssertEqual(net.layers[0].convolutionParam.numOutput, 96)
        XCTAssertEqual(net.layers[1].type, .relu)
        XCTAssertEqual(net.input, ["data"])
        XCTAssertEqual(net.inputDim, [10, 3, 227, 227])
    }

    func testSolverDecodes() throws {
        let text = """
        net: "models/x/train_val.prototxt"
        test_iter: 1000 test_interval: 1000
        base_lr: 0.01 lr_policy: "step" gamma: 0.1 stepsize: 100000
        display: 20 max_iter: 450000 momentum: 0.9 weight_decay: 0.0005
        snapshot: 10000 snapshot_prefix: "models/x/caffenet_train" solver_mode: CPU
        """
        let solver = try Prototxt.decode(Caffe_SolverParameter.self, text: text, file: "solver.prototxt").message
        XCTAssertEqual(solver.net, "models/x/train_val.prototxt")
        XCTAssertEqual(solver.testIter, [1000])
        XCTAssertEqual(solver.baseLr, 0.01)
        XCTAssertEqual(solver.lrPolicy, "step")
        XCTAssertEqual(solver.stepsize, 100000)
        XCTAssertEqual(solver.weightDecay, 0.0005)
        XCTAssertEqual(solver.solverMode, .cpu)
    }

    func testEmptyInputAndEmptyMessages() throws {
        XCTAssertEqual(try net(""), Caffe_NetParameter())
        XCTAssertEqual(try net("  # only a comment\n"), Caffe_NetParameter())
        let net = try net("layer {} layer <> state: { }")
        XCTAssertEqual(net.layer.count, 2)
        XCTAssertTrue(net.hasState)
    }

    func testDocumentLocations() throws {
        let text = """
        name: "n"
        layer { name: "a" }
        layer {
          name: "b"
          convolution_param { num_output: 4 kernel_size: [3, 5]
            group: 2 }
        }
        """
        let document = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "f.prototxt").document
        XCTAssertEqual(document.location([("layer", 1), ("convolution_param", 0), ("group", 0)]),
                       SourceLocation(file: "f.prototxt", line: 6, column: 5))
        XCTAssertEqual(document.location([("layer", 1)]), SourceLocation(file: "f.prototxt", line: 3, column: 1))
        XCTAssertEqual(document.location([("layer", 1), ("convolution_param", 0), ("kernel_size", 1)]),
                       SourceLocation(file: "f.prototxt", line: 5, column: 54))
        XCTAssertNil(document.location([("layer", 2)]))
        XCTAssertNil(document.location([("layer", 0), ("convolution_param", 0)]))
        XCTAssertNil(document.location([("name", 0), ("x", 0)]))
        XCTAssertEqual(document.start, SourceLocation(file: "f.prototxt", line: 1, column: 1))
    }

    func testLoadReadsFileAndFixtureNetsDecode() throws {
        let fixtures = TestSupport.caffeFixtures
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        var decoded = 0
        for name in names.sorted() {
            let path = fixtures.appendingPathComponent(name).appendingPathComponent("net.prototxt").path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let (net, document) = try Prototxt.load(Caffe_NetParameter.self, path: path)
            XCTAssertFalse(net.layer.isEmpty, name)
            XCTAssertEqual(document.file, path)
            decoded += 1
        }
        XCTAssertGreaterThan(decoded, 0)
    }

    func testParseWithoutSchemaKeepsTree() throws {
        let document = try Prototxt.parse(text: "a: 1 b { c: \"x\" }", file: "t")
        XCTAssertEqual(document.root.fields.map(\.name), ["a", "b"])
        guard case .message(let b) = document.root.fields[1].value,
              case .scalar(let c) = b.fields[0].value else { return XCTFail("shape") }
        XCTAssertEqual(c.value, .string(Array("x".utf8)))
        XCTAssertEqual(c.location, SourceLocation(file: "t", line: 1, column: 13))
    }
}
