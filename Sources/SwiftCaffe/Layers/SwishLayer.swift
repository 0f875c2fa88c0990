import CaffeProto

/// Caffe's "Swish": y = x · sigmoid(β · x), swish_param.beta default 1. The sigmoid
/// of β·x is computed as Caffe's Sigmoid layer does (`SigmoidLayer.sigmoid`) and kept
/// for backward, as Caffe's sigmoid_output_.
/// Backward: ∂x = ∂y · (β·y + s · (1 − β·y)) with s the kept sigmoid, in double as
/// Caffe's expression; from y and s alone, so it works in place.
/// bottom and top: any shape, the same.
public final class SwishLayer: Layer {
    public let beta: Float
    /// sigmoid(β · x) of the last forward.
    private let sigmoidOutput = Blob(1)

    public required init(param: Caffe_LayerParameter) throws {
        beta = param.swishParam.beta
        guard beta.isFinite else {
            throw SwiftCaffeError.invalid("swish_param.beta", "beta must be a finite number (got \(beta))")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try sigmoidOutput.reshape(like: bottom[0])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), y = top[0].data, s = sigmoidOutput.data, beta = self.beta
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                let xi = x[i]  // read before y[i] is written (in place they are one)
                s[i] = SigmoidLayer.sigmoid(beta * xi)
                y[i] = xi * s[i]
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = UnsafePointer(top[0].data), dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        let s = UnsafePointer(sigmoidOutput.data), beta = self.beta
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                let betaY = Double(beta * y[i])
                dx[i] = Float(Double(dy[i]) * (betaY + Double(s[i]) * (1 - betaY)))
            }
        }
    }
}
