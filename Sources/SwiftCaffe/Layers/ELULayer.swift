#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "ELU", exponential linear unit: y = x for x > 0, α·(eˣ − 1) otherwise
/// (Caffe's expression max(x, 0) + α·(e^min(x, 0) − 1), in double like its CPU code).
/// Backward: ∂x = ∂y for x > 0, ∂y · (α + y) otherwise.
/// bottom and top: any shape, the same; works in place (the sign of x is read from
/// y when α ≥ 0; with α < 0 a copy of x is kept).
public final class ELULayer: Layer {
    public let alpha: Float
    private let inPlaceInput = InPlaceInput()

    public required init(param: Caffe_LayerParameter) throws {
        alpha = param.eluParam.alpha
        guard alpha.isFinite else {
            throw SwiftCaffeError.invalid("elu_param.alpha", "alpha must be a finite number (got \(alpha))")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: alpha < 0)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data, alpha = Double(self.alpha)
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                y[i] = Float(Double(max(x[i], 0)) + alpha * (exp(Double(min(x[i], 0))) - 1))
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = inPlaceInput.input(bottom[0])
        let y = UnsafePointer(top[0].data), dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        let alpha = self.alpha
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = x[i] > 0 ? dy[i] : dy[i] * (alpha + y[i]) }
        }
    }
}
