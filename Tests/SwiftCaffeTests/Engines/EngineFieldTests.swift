import CaffeProto
import Foundation
import SwiftProtobuf
import XCTest
@testable import SwiftCaffe

/// Intel Caffe's string `engine` fields (LayerParameter 149, NetParameter 9,
/// SolverParameter 47): parsed, written, and obeyed with Intel Caffe's precedence.
final class EngineFieldTests: XCTestCase {
    /// A net with one convolution (`conv`) and one pooling layer (`pool`); `net` and
    /// `conv`/`pool` are inserted as the net-wide and per-layer lines.
    static func text(net: String = "", conv: String = "", convParam: String = "", pool: String = "") -> String {
        """
        name: "engines"
        \(net)
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 9 dim: 9 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" \(conv)
                convolution_param { num_output: 4 kernel_size: 3 \(convParam) weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" \(pool)
                pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        """
    }

    static func build(_ text: String, engine: ComputeEngine? = nil) throws -> Net {
        let (param, document) = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "engines.prototxt")
        var options = NetBuildOptions(phase: .train)
        options.engine = engine
        return try NetBuilder.build(try NetDefinition(param: param, document: document), options: options)
    }

    /// "dnnl" / "openblas" for the conv and pool layers of `text`.
    static func engines(_ text: String, engine: ComputeEngine? = nil) throws -> [String] {
        let net = try build(text, engine: engine)
        return try ["conv", "pool"].map { name in
            let description = try XCTUnwrap(net.layer(named: name)).engineDescription
            return description.hasPrefix("dnnl") ? "dnnl" : description
        }
    }

    func testTextFormatReadsTheThreeFields() throws {
        let net = try Prototxt.decode(Caffe_NetParameter.self, text: Self.text(net: #"engine: "MKLDNN""#, conv: #"engine: "CAFFE""#),
                                      file: "n.prototxt").message
        XCTAssertEqual(net.engine, "MKLDNN")
        XCTAssertEqual(net.layer[1].engine, "CAFFE")
        XCTAssertEqual(net.layer[2].engine, "")
        XCTAssertFalse(net.layer[2].hasEngine)
        let solver = try Prototxt.decode(Caffe_SolverParameter.self, text: #"base_lr: 0.1 engine: "MKLDNN:CPU""#,
                                         file: "s.prototxt").message
        XCTAssertEqual(solver.engine, "MKLDNN:CPU")
    }

    /// The fields are written with Intel Caffe's numbers: 149 on a layer (tag 149·8+2 =
    /// 1194, varint AA 09), 9 on a net (tag 74 = 4A), 47 on a solver (tag 378, FA 02).
    func testBinaryRoundTripUsesIntelCaffesFieldNumbers() throws {
        var layer = Caffe_LayerParameter()
        layer.engine = "MKLDNN"
        XCTAssertEqual([UInt8](try layer.serializedBytes() as [UInt8]), [0xAA, 0x09, 6] + Array("MKLDNN".utf8))
        var net = Caffe_NetParameter()
        net.engine = "CAFFE"
        net.layer = [layer]
        let bytes: [UInt8] = try net.serializedBytes()
        XCTAssertEqual(Array(bytes.prefix(7)), [0x4A, 5] + Array("CAFFE".utf8))
        let decoded = try Caffe_NetParameter(serializedBytes: bytes)
        XCTAssertEqual(decoded, net)
        XCTAssertEqual(decoded.layer[0].engine, "MKLDNN")
        var solver = Caffe_SolverParameter()
        solver.engine = "MKL2017"
        XCTAssertEqual([UInt8](try solver.serializedBytes() as [UInt8]), [0xFA, 0x02, 7] + Array("MKL2017".utf8))
        XCTAssertEqual(try Caffe_SolverParameter(serializedBytes: try solver.serializedBytes() as [UInt8]), solver)
    }

    func testNetWideEngineChoosesDNNLAndCaffeTheReference() throws {
        XCTAssertEqual(try Self.engines(Self.text()), ["openblas", "openblas"])
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "MKLDNN""#)), ["dnnl", "dnnl"])
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "MKL2017""#)), ["dnnl", "dnnl"])
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "MKLDNN:CPU""#)), ["dnnl", "dnnl"])
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "CAFFE""#)), ["openblas", "openblas"])
    }

    /// Intel Caffe's precedence: the command line replaces the net-wide engine, a
    /// layer's own string beats both, the layer's typed `engine: CAFFE` beats its string.
    func testPrecedence() throws {
        // Per layer over net-wide.
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "MKLDNN""#, conv: #"engine: "CAFFE""#)), ["openblas", "dnnl"])
        XCTAssertEqual(try Self.engines(Self.text(pool: #"engine: "MKLDNN""#)), ["openblas", "dnnl"])
        // The caller's (--engine) engine replaces the file's net-wide one...
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "MKLDNN""#), engine: .openblas), ["openblas", "openblas"])
        XCTAssertEqual(try Self.engines(Self.text(net: #"engine: "CAFFE""#), engine: .dnnl), ["dnnl", "dnnl"])
        // ...but not a layer's own.
        XCTAssertEqual(try Self.engines(Self.text(conv: #"engine: "MKLDNN""#), engine: .openblas), ["dnnl", "openblas"])
        XCTAssertEqual(try Self.engines(Self.text(conv: #"engine: "CAFFE""#), engine: .dnnl), ["openblas", "dnnl"])
        // The typed enum wins over the string.
        XCTAssertEqual(try Self.engines(Self.text(conv: #"engine: "MKLDNN""#, convParam: "engine: CAFFE")), ["openblas", "openblas"])
    }

    /// An unknown value names the file, line and column of the field, the layer, and
    /// the accepted values.
    func testUnknownLayerEngineIsALocatedError() throws {
        let text = Self.text(pool: #"engine: "MKLDNNN""#)
        XCTAssertThrowsError(try Self.build(text)) { error in
            let e = error as? SwiftCaffeError
            XCTAssertEqual(e?.layer, "pool")
            XCTAssertEqual(e?.field, "engine")
            XCTAssertEqual(e?.location?.file, "engines.prototxt")
            XCTAssertEqual(e?.location?.line, 6)
            XCTAssertTrue(e?.message.contains(#"unknown engine "MKLDNNN""#) ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.hint?.contains(#""MKLDNN""#) ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.hint?.contains(#""CAFFE""#) ?? false, "\(String(describing: e))")
        }
    }

    func testUnknownNetEngineAndUnavailableSubenginesAreLocatedErrors() throws {
        for (line, message) in [(#"engine: "cuda""#, "unknown engine"), (#"engine: "CUDNN""#, "not available on the CPU"),
                                (#"engine: "MKLDNN:FPGA""#, "names no CPU subengine")] {
            XCTAssertThrowsError(try Self.build(Self.text(net: line)), line) { error in
                let e = error as? SwiftCaffeError
                XCTAssertEqual(e?.field, "engine", line)
                XCTAssertNil(e?.layer, line)
                XCTAssertEqual(e?.location?.line, 2, line)
                XCTAssertEqual(e?.location?.column, 1, line)
                XCTAssertTrue(e?.message.contains(message) ?? false, "\(line): \(String(describing: e))")
            }
        }
    }

    /// The solver's engine replaces the nets' own net-wide engine, for the train net and
    /// the test nets; the caller's (--engine) replaces the solver's.
    func testSolverEngineReachesTrainAndTestNets() throws {
        let net = """
            layer { name: "data" type: "DummyData" top: "data" top: "label"
                    dummy_data_param { shape { dim: 2 dim: 3 dim: 9 dim: 9 } shape { dim: 2 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                    convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 3 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """
        func convEngines(solver: String, engine: ComputeEngine? = nil) throws -> [String] {
            var param = try Prototxt.decode(Caffe_SolverParameter.self, text: solver, file: "solver.prototxt").message
            param.netParam = try Prototxt.decode(Caffe_NetParameter.self, text: net, file: "net.prototxt").message
            let solver = try Solver.make(param: param, options: .init(engine: engine), random: RandomSource(seed: 1),
                                         log: try SolverLog(echo: false, record: true))
            return try ([solver.net] + solver.testNets).map {
                try XCTUnwrap($0.layer(named: "conv")).engineDescription.hasPrefix("dnnl") ? "dnnl" : "openblas"
            }
        }
        let base = "base_lr: 0.01 lr_policy: \"fixed\" max_iter: 1 test_iter: 1 test_interval: 10"
        XCTAssertEqual(try convEngines(solver: base), ["openblas", "openblas"])
        XCTAssertEqual(try convEngines(solver: base + #" engine: "MKLDNN""#), ["dnnl", "dnnl"])
        XCTAssertEqual(try convEngines(solver: base + #" engine: "MKLDNN""#, engine: .openblas), ["openblas", "openblas"])
        XCTAssertThrowsError(try convEngines(solver: base + #" engine: "GPU""#)) { error in
            XCTAssertEqual((error as? SwiftCaffeError)?.field, "engine")
        }
    }
}
