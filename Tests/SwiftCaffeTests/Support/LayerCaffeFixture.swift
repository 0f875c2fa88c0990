import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

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
