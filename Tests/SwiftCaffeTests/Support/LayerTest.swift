import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Helpers for layer tests.
enum LayerTest {
    /// A layer built from prototxt text of one `layer { … }` body (without the braces).
    static func make(_ text: String, phase: Caffe_Phase = .train) throws -> Layer {
        var (param, _) = try Prototxt.decode(Caffe_LayerParameter.self, text: text, file: "layer.prototxt")
        param.phase = phase
        return try LayerRegistry.shared.makeLayer(param)
    }

    /// Sets the layer up on the bottoms (new tops are created) and fills its parameters.
    static func setUp(_ layer: Layer, bottom: [Blob], tops: Int = 1) throws -> [Blob] {
        let top = try (0..<tops).map { _ in try Blob(shape: []) }
        try layer.setUp(bottom: bottom, top: top)
        try layer.fillParameters()
        try layer.reshape(bottom: bottom, top: top)
        layer.paramPropagateDown = layer.blobs.map { _ in true }
        return top
    }

    /// A blob of the given shape with uniform values in [low, high).
    static func blob(_ shape: [Int], low: Float = -1, high: Float = 1, seed: UInt64 = 7) -> Blob {
        let blob = try! Blob(shape: shape)
        let random = RandomSource(seed: seed)
        for i in 0..<blob.count { blob.data[i] = random.uniform(low, high) }
        return blob
    }
}
