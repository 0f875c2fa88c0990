import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// LRN: hand-computed values across and within channels, gradients, errors.
final class LRNTests: XCTestCase {
    func testAcrossChannelsByHand() throws {
        // 1 × 3 × 1 × 1, x = 1, 2, 3; local_size 3, alpha 1, beta 0.75, k 2:
        // scale_c = 2 + (1/3) · Σ x² over channels c−1 … c+1 (zero beyond the edges).
        let layer = try LayerTest.make(
            #"type: "LRN" lrn_param { local_size: 3 alpha: 1 beta: 0.75 k: 2 }"#)
        let bottom = NeuronTest.blob([1, 3, 1, 1], [1, 2, 3])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let scales = [2 + (1.0 + 4) / 3, 2 + (1.0 + 4 + 9) / 3, 2 + (4.0 + 9) / 3]
        let expected = zip([1.0, 2, 3], scales).map { Float($0 * pow($1, -0.75)) }
        NeuronTest.assertClose(top[0].dataArray, expected, accuracy: 2e-7)
    }

    func testAcrossChannelsBackwardByHand() throws {
        // One pixel, two channels, local_size 3, alpha 3 (α/n = 1), beta 0.5, k 1:
        // s = 1 + x0² + x1² for both channels; y_c = x_c / √s.
        // ∂y_c/∂x_d = δ_cd/√s − x_c·x_d / s^1.5.
        let layer = try LayerTest.make(#"type: "LRN" lrn_param { local_size: 3 alpha: 3 beta: 0.5 k: 1 }"#)
        let bottom = NeuronTest.blob([1, 2, 1, 1], [1, 2])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let s = 6.0
        NeuronTest.assertClose(top[0].dataArray, [Float(1 / s.squareRoot()), Float(2 / s.squareRoot())])
        top[0].setDiff([1, 0])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        NeuronTest.assertClose(bottom.diffArray, [Float(1 / s.squareRoot() - 1 / pow(s, 1.5)),
                                                  Float(-2 / pow(s, 1.5))])
    }

    func testWithinChannelByHand() throws {
        // 1 × 1 × 2 × 3, local_size 3 (pad 1): every window's divisor is 9 (padded cells count).
        // Window sums of x²: columns 0 and 1 of both rows: 1+4+16+25 = 46; all: 91; columns 1, 2: 74.
        // k is ignored within a channel.
        let layer = try LayerTest.make(
            #"type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 0.1 beta: 0.75 k: 5 }"#)
        let x: [Float] = [1, 2, 3, 4, 5, 6]
        let bottom = NeuronTest.blob([1, 1, 2, 3], x)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        let sums: [Double] = [46, 91, 74, 46, 91, 74]
        let expected = zip(x, sums).map { Float(Double($0) * pow(1 + 0.1 * $1 / 9, -0.75)) }
        NeuronTest.assertClose(top[0].dataArray, expected, accuracy: 2e-7)
    }

    func testGradientAcrossChannels() throws {
        try NeuronTest.check(#"type: "LRN" lrn_param { local_size: 5 alpha: 1 beta: 0.75 k: 2 }"#,
                             shape: [2, 7, 3, 3], low: -2, high: 2)
        // Window wider than the channel count, default parameters.
        try NeuronTest.check(#"type: "LRN" lrn_param { local_size: 7 alpha: 2 }"#, shape: [1, 3, 2, 5], low: -2, high: 2)
    }

    func testGradientWithinChannel() throws {
        try NeuronTest.check(
            #"type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 1 beta: 0.75 }"#,
            shape: [2, 3, 4, 5], low: -2, high: 2)
        try NeuronTest.check(
            #"type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL local_size: 5 alpha: 2 beta: 0.6 }"#,
            shape: [1, 2, 3, 6], low: -2, high: 2)
    }

    func testBigInputMatchesPerSampleRuns() throws {
        // Bigger than one parallel chunk: the split over pixel runs must not change the numbers.
        let text = #"type: "LRN" lrn_param { local_size: 5 alpha: 0.1 beta: 0.75 }"#
        let layer = try LayerTest.make(text)
        let bottom = LayerTest.blob([3, 16, 33, 31])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        top[0].setDiff(LayerTest.blob([3, 16, 33, 31], seed: 5).dataArray)
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        let single = try LayerTest.make(text)
        let plane = 16 * 33 * 31
        for n in 0..<3 {
            let b = NeuronTest.blob([1, 16, 33, 31], Array(bottom.dataArray[n * plane..<(n + 1) * plane]))
            let t = try LayerTest.setUp(single, bottom: [b])
            try single.forward(bottom: [b], top: t)
            XCTAssertEqual(t[0].dataArray, Array(top[0].dataArray[n * plane..<(n + 1) * plane]))
            t[0].setDiff(Array(top[0].diffArray[n * plane..<(n + 1) * plane]))
            try single.backward(top: t, propagateDown: [true], bottom: [b])
            XCTAssertEqual(b.diffArray, Array(bottom.diffArray[n * plane..<(n + 1) * plane]))
        }
    }

    func testErrors() throws {
        for size in ["4", "0"] {
            let e = NeuronTest.makeError(#"type: "LRN" lrn_param { local_size: \#(size) }"#)
            XCTAssertEqual(e?.field, "lrn_param.local_size", size)
        }
        XCTAssertEqual(NeuronTest.makeError(#"type: "LRN" lrn_param { engine: CUDNN }"#)?.field, "lrn_param.engine")
        let layer = try LayerTest.make(#"type: "LRN""#)
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
        let flat = LayerTest.blob([2, 6])
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [flat]) }
        XCTAssertTrue(e?.message.contains("4-D") ?? false, "\(String(describing: e))")
        let image = LayerTest.blob([1, 3, 2, 2])
        let inPlace = TestSupport.error { try layer.reshape(bottom: [image], top: [image]) }
        XCTAssertTrue(inPlace?.message.contains("in place") ?? false, "\(String(describing: inPlace))")
    }
}

/// One Caffe fixture folder (Fixtures/caffe/<name>), for running single layers of its
/// net on Caffe's inputs and comparing with Caffe's blobs.
struct LayerCaffeFixture {
    let net: Caffe_NetParameter
    let names: [String]
    let blobs: [Caffe_BlobProto]

    init(_ name: String) throws {
        let folder = TestSupport.caffeFixtures.appendingPathComponent(name)
        let text = try String(contentsOf: folder.appendingPathComponent("net.prototxt"), encoding: .utf8)
        net = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "net.prototxt").0
        names = try String(contentsOf: folder.appendingPathComponent("blobs.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[1]) }
        blobs = try Caffe_BlobProtoVector(serializedBytes: try Data(contentsOf: folder.appendingPathComponent("blobs.binaryproto"))).blobs
        XCTAssertEqual(names.count, blobs.count, name)
    }

    /// The layer named `name`, built alone from its text in net.prototxt (TEST phase, as Caffe ran it).
    func layer(_ name: String) throws -> Layer {
        let definition = try XCTUnwrap(net.layer.first { $0.name == name }, "no layer \(name)")
        return try LayerTest.make(definition.textFormatString(), phase: .test)
    }

    func blob(_ name: String) throws -> Caffe_BlobProto {
        blobs[try XCTUnwrap(names.firstIndex(of: name), "no blob \(name)")]
    }

    /// A blob with Caffe's shape and data of `name`.
    func input(_ name: String) throws -> Blob {
        let proto = try blob(name)
        let b = try Blob(shape: proto.shape.dim.map { Int($0) })
        b.setData(proto.data)
        return b
    }

    /// Runs `layerName` on Caffe's `bottom`, compares its top with Caffe's `top` (data 1e-5
    /// relative), then back-propagates Caffe's top diff and compares the bottom diff with
    /// `bottomDiff` (1e-4 relative); absolute floor 1e-6.
    func compare(layer layerName: String, bottom: String, top: String, bottomDiff: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try self.layer(layerName)
        let input = try self.input(bottom)
        let caffeTop = try blob(top)
        let tops = try LayerTest.setUp(layer, bottom: [input])
        XCTAssertEqual(tops[0].shape, caffeTop.shape.dim.map { Int($0) }, file: file, line: line)
        try layer.forward(bottom: [input], top: tops)
        Self.assertClose(tops[0].dataArray, caffeTop.data, relative: 1e-5, "\(layerName) top data", file: file, line: line)
        tops[0].setDiff(caffeTop.diff)
        input.fillDiff(.nan)  // must be overwritten
        try layer.backward(top: tops, propagateDown: [true], bottom: [input])
        Self.assertClose(input.diffArray, try blob(bottomDiff).diff, relative: 1e-4, "\(layerName) bottom diff",
                         file: file, line: line)
    }

    static func assertClose(_ actual: [Float], _ expected: [Float], relative: Float, _ what: String,
                            file: StaticString, line: UInt) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        XCTAssertFalse(expected.isEmpty, what, file: file, line: line)
        var failures = 0
        for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= max(relative * abs(e), 1e-6)) {
            failures += 1
            if failures <= 5 { XCTFail("\(what)[\(i)]: \(a), Caffe \(e)", file: file, line: line) }
        }
    }
}

/// The LRN layers of the Caffe fixtures lrn_across and lrn_within, run alone on
/// Caffe's input: outputs and gradients must match Caffe's.
final class LRNCaffeFixtureTests: XCTestCase {
    func testAcrossChannels() throws {
        try LayerCaffeFixture("lrn_across").compare(layer: "norm", bottom: "data", top: "norm", bottomDiff: "data")
    }

    func testWithinChannel() throws {
        try LayerCaffeFixture("lrn_within").compare(layer: "norm", bottom: "data", top: "norm", bottomDiff: "data")
    }
}
