import CaffeProto
import Foundation
import MallocCounter
import XCTest
import MallocCounter
@testable import SwiftCaffe

/// Blobs Caffe computed for the fixtures in Fixtures/caffe (see its README.md).
enum StructureFixtures {
    static func blobs(_ fixture: String) throws -> [String: Caffe_BlobProto] {
        let folder = TestSupport.caffeFixtures.appendingPathComponent(fixture)
        let vector = try Caffe_BlobProtoVector(
            serializedBytes: try Data(contentsOf: folder.appendingPathComponent("blobs.binaryproto")))
        let names = try String(contentsOf: folder.appendingPathComponent("blobs.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[1]) }
        XCTAssertEqual(names.count, vector.blobs.count)
        return Dictionary(uniqueKeysWithValues: zip(names, vector.blobs))
    }

    /// A layer built alone from its definition in the fixture's net.prototxt.
    static func layer(_ fixture: String, named name: String, phase: Caffe_Phase = .test) throws -> Layer {
        let path = TestSupport.caffeFixtures.appendingPathComponent("\(fixture)/net.prototxt")
        let text = try String(contentsOf: path, encoding: .utf8)
        let (net, _) = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: path.path)
        guard let param = net.layer.first(where: { $0.name == name }) else {
            throw SwiftCaffeError(.semantic, "no layer \(name) in \(fixture)")
        }
        return try LayerTest.make(param, phase: phase)
    }

    static func blob(_ proto: Caffe_BlobProto) throws -> Blob {
        let blob = try Blob(shape: proto.shape.dim.map { Int($0) })
        blob.setData(proto.data)
        return blob
    }

    /// After two warm-up passes, three forward/backward passes of `layer` allocate nothing.
    static func assertNoAllocations(_ layer: Layer, bottom: [Blob], top: [Blob], propagateDown: [Bool]? = nil,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let propagate = propagateDown ?? bottom.map { _ in true }
        for t in top { t.fillDiff(0.5) }
        for _ in 0..<2 {
            try layer.forward(bottom: bottom, top: top)
            try layer.backward(top: top, propagateDown: propagate, bottom: bottom)
        }
        try AllocationCounter.start()
        for _ in 0..<3 {
            try layer.forward(bottom: bottom, top: top)
            try layer.backward(top: top, propagateDown: propagate, bottom: bottom)
        }
        let allocations = AllocationCounter.stop()
        XCTAssertEqual(allocations, 0, "\(layer.type): heap allocations in forward/backward", file: file, line: line)
    }

    static func assertClose(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float = 1e-6,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > max(absolute, relative * abs(e)) {
            XCTFail("element \(i): \(a) vs Caffe's \(e)", file: file, line: line)
            return
        }
    }
}
