#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "Log": y = log_base(shift + scale · x), base −1 (the default) meaning e,
/// computed as Caffe does, log(shift + scale · x) / log(base), in float.
/// Backward: ∂x = ∂y · scale / (log(base) · (shift + scale · x)). It needs x: in
/// place, a copy of x is kept.
/// bottom and top: any shape, the same.
public final class LogLayer: Layer {
    public let base: Float, scale: Float, shift: Float
    /// 1 / log(base) and scale / log(base), Caffe's base_scale_ and backward_num_scale_.
    let baseScale: Float, backwardScale: Float
    private let inPlaceInput = InPlaceInput()

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.logParam
        try LogarithmBase.requireFinite([("scale", p.scale), ("shift", p.shift)], prefix: "log_param.")
        let logBase = try LogarithmBase.naturalLog(of: p.base, field: "log_param.base")
        guard logBase != 0 else {
            throw SwiftCaffeError.invalid("log_param.base", "base 1 has no logarithm (log 1 = 0)",
                                          hint: "use a positive base other than 1, or -1 for e")
        }
        base = p.base
        scale = p.scale
        shift = p.shift
        baseScale = 1 / logBase
        backwardScale = scale / logBase
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: true)
    }

    /// shift + scale · x, in Caffe's order (scale first; neither step when it is the identity).
    @inline(__always)
    private static func argument(_ x: Float, scale: Float, shift: Float) -> Float {
        var t = x
        if scale != 1 { t *= scale }
        if shift != 0 { t += shift }
        return t
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        let (scale, shift, baseScale) = (self.scale, self.shift, self.baseScale)
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                let v = logf(Self.argument(x[i], scale: scale, shift: shift))
                y[i] = baseScale == 1 ? v : v * baseScale
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = inPlaceInput.input(bottom[0])
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        let (scale, shift, backwardScale) = (self.scale, self.shift, self.backwardScale)
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                var d = 1 / Self.argument(x[i], scale: scale, shift: shift)
                if backwardScale != 1 { d *= backwardScale }
                dx[i] = dy[i] * d
            }
        }
    }
}
