#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "BNLL" (binomial normal log-likelihood), the softplus y = log(1 + eˣ),
/// evaluated as Caffe does so that e^x never overflows: x + log(1 + e^−x) for x > 0,
/// log(1 + eˣ) otherwise, in double (Caffe's `1. +` makes its sum double).
/// Backward: ∂x = ∂y · eˣ / (eˣ + 1), with x capped at Caffe's kBNLL_THRESHOLD = 50
/// (beyond it the ratio is 1 in float anyway, and e^x stays finite).
/// bottom and top: any shape, the same. Backward needs x: in place, a copy of x is
/// kept (Caffe itself would differentiate at y there).
public final class BNLLLayer: Layer {
    /// Caffe's kBNLL_THRESHOLD: the largest x fed to exp in backward.
    static let threshold: Float = 50
    private let inPlaceInput = InPlaceInput()

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: true)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                let v = Double(x[i])
                y[i] = Float(v > 0 ? v + log(1 + exp(-v)) : log(1 + exp(v)))
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = inPlaceInput.input(bottom[0])
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff, cap = Self.threshold
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                let e = exp(Double(min(x[i], cap)))
                dx[i] = Float(Double(dy[i]) * e / (e + 1))
            }
        }
    }
}
