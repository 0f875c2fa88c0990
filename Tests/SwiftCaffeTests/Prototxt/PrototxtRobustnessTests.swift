import XCTest
@testable import SwiftCaffe
import CaffeProto

/// Whatever bytes arrive, the reader returns a message or throws SwiftCaffeError;
/// it never traps, hangs or overflows the stack.
final class PrototxtRobustnessTests: XCTestCase {
    private static let net = """
    name: "mini"   # comment
    force_backward: true
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: [2, 3, 31, 31] } } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
      param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
      convolution_param { num_output: 8 kernel_size: 5 stride: 2 pad: 0x1
        weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: 'constant' value: -1e-4 } } }
    layer < name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
      pooling_param { pool: MAX kernel_size: 3 stride: 2 } >
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "pool1" bottom: "label" top: "loss" loss_weight: 1.f }
    layers { name: "old" type: INNER_PRODUCT blobs_lr: .5; weight_decay: 0, }
    """

    /// SplitMix64: a tiny deterministic generator so failures reproduce.
    private struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    func testTheUnmutatedNetDecodes() throws {
        let net = try Prototxt.decode(Caffe_NetParameter.self, text: Self.net, file: "mini.prototxt").message
        XCTAssertEqual(net.layer.count, 4)
        XCTAssertEqual(net.layers.count, 1)
        XCTAssertEqual(net.layer[1].convolutionParam.pad, [1])
        XCTAssertEqual(net.layer[1].convolutionParam.biasFiller.value, -1e-4)
    }

    func testRandomMutationsNeverCrash() {
        var random = SplitMix64(state: 20_240_601)
        let original = Array(Self.net.utf8)
        let alphabet = Array("{}[]<>:;,\"'\\#-+.0123456789exfabc_ \n\tMAXinf".utf8) + [0x00, 0x05, 0xFF, 0xC3, 0xE2, 0x80]
        var decoded = 0, rejected = 0
        for round in 0..<200 {
            var bytes = original
            for _ in 0..<(1 + random.below(4)) {
                let position = random.below(bytes.count + 1)
                switch random.below(5) {
                case 0 where position < bytes.count:
                    bytes[position] = alphabet[random.below(alphabet.count)]
                case 1 where position < bytes.count:
                    bytes.remove(at: position)
                case 2:
                    bytes.insert(alphabet[random.below(alphabet.count)], at: position)
                case 3 where position < bytes.count:
                    let end = min(bytes.count, position + random.below(40))
                    bytes.insert(contentsOf: bytes[position..<end], at: random.below(bytes.count + 1))
                default:
                    bytes.removeLast(min(bytes.count, random.below(30)))
                }
            }
            for input in [bytes, Array(String(decoding: bytes, as: UTF8.self).utf8)] {
                do {
                    _ = try Prototxt.decode(Caffe_NetParameter.self, bytes: input, file: "fuzz.prototxt")
                    decoded += 1
                } catch let error as SwiftCaffeError {
                    rejected += 1
                    XCTAssertTrue(error.kind == .syntax || error.kind == .schema, "round \(round): \(error)")
                    if let location = error.location {
                        XCTAssertEqual(location.file, "fuzz.prototxt")
                        XCTAssertGreaterThanOrEqual(location.line, 1)
                        XCTAssertGreaterThanOrEqual(location.column, 1)
                    } else {
                        XCTFail("round \(round): error without a location: \(error)")
                    }
                } catch {
                    XCTFail("round \(round): not a SwiftCaffeError: \(error)")
                }
            }
        }
        XCTAssertEqual(decoded + rejected, 400)
        XCTAssertGreaterThan(rejected, 0)
    }

    func testDeepNestingIsAnErrorNotAStackOverflow() {
        let text = String(repeating: "layer { ", count: 5000)
        XCTAssertThrowsError(try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "deep")) { error in
            XCTAssertEqual(error as? SwiftCaffeError,
                           SwiftCaffeError(.syntax, "messages are nested too deeply (more than 100 levels)",
                                           location: SourceLocation(file: "deep", line: 1, column: 7 + 8 * 100)))
        }
    }

    func testNumberGrammar() {
        typealias G = PrototxtNumberGrammar
        XCTAssertEqual(G.classify("42"), .integer(PrototxtInteger(magnitude: 42, text: "42")))
        XCTAssertEqual(G.classify("0"), .integer(PrototxtInteger(magnitude: 0, text: "0")))
        XCTAssertEqual(G.classify("0777"), .integer(PrototxtInteger(magnitude: 511, text: "0777")))
        XCTAssertEqual(G.classify("0xffffffffffffffff"), .integer(PrototxtInteger(magnitude: .max, text: "0xffffffffffffffff")))
        XCTAssertEqual(G.classify("18446744073709551616"), .integer(PrototxtInteger(magnitude: nil, text: "18446744073709551616")))
        XCTAssertEqual(G.classify("1."), .float(1))
        XCTAssertEqual(G.classify("1.e2"), .float(100))
        XCTAssertEqual(G.classify(".25"), .float(0.25))
        XCTAssertEqual(G.classify("2f"), .float(2))
        XCTAssertEqual(G.classify("0.5"), .float(0.5))
        XCTAssertEqual(G.classify("1e999"), .float(.infinity))
        XCTAssertEqual(G.classify("05.5"), .invalid(hint: "numbers starting with 0 are octal integers; remove the leading 0"))
        XCTAssertEqual(G.classify("1.5x"), .invalid(hint: nil))
        XCTAssertEqual(G.classify("0xg"), .invalid(hint: "hex numbers use only the digits 0-9 and a-f"))
    }

    func testSuggestions() {
        let fields = ["num_output", "bias_term", "pad", "kernel_size", "stride", "group", "kernel_h"]
        XCTAssertEqual(Suggest.closest(to: "kernal_size", among: fields), ["kernel_size"])
        XCTAssertEqual(Suggest.closest(to: "Num_Ouptut", among: fields), ["num_output"])
        XCTAssertEqual(Suggest.closest(to: "strdie", among: fields), ["stride"])
        XCTAssertEqual(Suggest.closest(to: "zzz", among: fields), [])
        XCTAssertEqual(Suggest.closest(to: "max", among: ["MAX", "AVE", "STOCHASTIC"]), ["MAX"])
        XCTAssertEqual(Suggest.quotedList(["a", "b", "c"]), "'a', 'b' or 'c'")
    }
}
