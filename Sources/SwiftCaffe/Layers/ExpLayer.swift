#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "Exp": y = base^(shift + scale · x), base −1 (the default) meaning e.
/// Computed as Caffe does, y = outer · e^(inner · x) with inner = log(base) · scale and
/// outer = base^shift, in float like Caffe's CPU code.
/// Backward: ∂x = ∂y · y · inner, from y alone, so it works in place.
/// bottom and top: any shape, the same.
public final class ExpLayer: Layer {
    public let base: Float, scale: Float, shift: Float
    /// log(base) · scale and base^shift (1 when shift is 0, exactly as Caffe).
    let innerScale: Float, outerScale: Float

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.expParam
        try LogarithmBase.requireFinite([("scale", p.scale), ("shift", p.shift)], prefix: "exp_param.")
        let logBase = try LogarithmBase.naturalLog(of: p.base, field: "exp_param.base")
        base = p.base
        scale = p.scale
        shift = p.shift
        innerScale = logBase * scale
        outerScale = shift == 0 ? 1 : (base == -1 ? expf(shift) : powf(base, shift))
        guard outerScale.isFinite, outerScale > 0 else {
            throw SwiftCaffeError.invalid("exp_param.shift", "base^shift is not representable in float (shift \(shift))",
                                          hint: "use a smaller |shift|")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        let (inner, outer) = (innerScale, outerScale)
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = outer * expf(inner * x[i]) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = UnsafePointer(top[0].data), dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        let inner = innerScale
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = (y[i] * dy[i]) * inner }
        }
    }
}
