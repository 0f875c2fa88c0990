import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Helpers for layer tests.
enum LayerTest {
    /// A layer built from prototxt text of one `layer { … }` body (without the braces).
    static func make(_ text: String, phase: Caffe_Phase = .train) throws -> Layer {
        let (param, _) = try Prototxt.decode(Caffe_LayerParameter.self, text: text, file: "layer.prototxt")
        return try make(param, phase: phase)
    }

    /// The layer of `param`, from the built-in registry, in `phase`.
    static func make(_ param: Caffe_LayerParameter, phase: Caffe_Phase = .train) throws -> Layer {
        var param = param
        param.phase = phase
        return try LayerRegistry.builtIn.makeLayer(param)
    }

    /// Sets the layer up on the bottoms through its entry point, with `tops` new tops.
    /// `forceParameterGradients`: every parameter's gradient is computed, lr_mult 0
    /// or not (a layer used alone, as in Caffe's layer tests: the gradient checker
    /// checks them all); false gives a net's rule (lr_mult 0 = no gradient).
    static func setUp(_ layer: Layer, bottom: [Blob], tops: Int = 1,
                      forceParameterGradients: Bool = true) throws -> [Blob] {
        let top = try (0..<tops).map { _ in try Blob(shape: []) }
        try setUp(layer, bottom: bottom, top: top, forceParameterGradients: forceParameterGradients)
        return top
    }

    /// Sets the layer up on the given bottoms and tops (e.g. in place: top === bottom).
    static func setUp(_ layer: Layer, bottom: [Blob], top: [Blob], forceParameterGradients: Bool = true) throws {
        try layer.setUp(bottom: bottom, top: top, forceParameterGradients: forceParameterGradients)
    }

    /// A blob of the given shape with uniform values in [low, high).
    static func blob(_ shape: [Int], low: Float = -1, high: Float = 1, seed: UInt64 = 7) -> Blob {
        let blob = try! Blob(shape: shape)
        let random = RandomSource(seed: seed)
        for i in 0..<blob.count { blob.data[i] = random.uniform(low, high) }
        return blob
    }
}
