#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "Sigmoid": y = 1 / (1 + e^−x), computed as Caffe does, 0.5 · tanh(0.5·x) + 0.5
/// in double precision. Backward: ∂x = ∂y · y · (1 − y), from y alone, so it works in place.
/// bottom and top: any shape, the same.
public final class SigmoidLayer: Layer {
    public required init(param: Caffe_LayerParameter) throws {
        try SwiftCaffeError.rejectCUDNN(param.sigmoidParam.hasEngine && param.sigmoidParam.engine == .cudnn, field: "sigmoid_param.engine")
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = Self.sigmoid(x[i]) }
        }
    }

    /// Caffe's sigmoid of one value (also Swish's): 0.5 · tanh(0.5·x) + 0.5 in double.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { Float(0.5 * tanh(0.5 * Double(x)) + 0.5) }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = UnsafePointer(top[0].data), dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = Float(Double(dy[i] * y[i]) * (1 - Double(y[i]))) }
        }
    }
}
