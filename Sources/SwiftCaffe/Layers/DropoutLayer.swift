import CaffeProto

/// Dropout, Caffe's "Dropout". bottom and top: any shape, the same; works in place.
///
/// TRAIN: every forward draws a fresh mask from the net's `random`, keeping each
/// unit with probability 1 − p; y = x · mask · 1/(1 − p). Backward multiplies the
/// top diff by the same mask and scale.
/// TEST: the identity both ways (nothing to do at all when in place).
public final class DropoutLayer: Layer {
    public let ratio: Float
    /// 1 / (1 − p), computed in double and rounded as Caffe does.
    public let scale: Float
    /// TRAIN: per element, `scale` for a kept unit and 0 for a dropped one (mask · scale).
    private let mask = Blob(1)

    public required init(param: Caffe_LayerParameter) throws {
        ratio = param.dropoutParam.dropoutRatio
        guard ratio >= 0, ratio < 1 else {
            throw SwiftCaffeError.invalid("dropout_param.dropout_ratio",
                "dropout_ratio must be in [0, 1) (got \(ratio))",
                hint: "it is the probability of dropping a unit; AlexNet uses 0.5")
        }
        scale = Float(1.0 / (1.0 - Double(ratio)))
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        if phase == .train { try mask.reshape(like: bottom[0]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = bottom[0].count
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        guard phase == .train else {
            ElementWise.copy(count, from: x, to: y)
            return
        }
        // The mask is drawn sequentially: one random stream, reproducible for a seed.
        let m = mask.data, keep = 1 - ratio, scale = self.scale
        for i in 0..<count { m[i] = random.bernoulli(keep) ? scale : 0 }
        Parallel.forRanges(count) { start, end in
            for i in start..<end { y[i] = x[i] * m[i] }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let count = bottom[0].count
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        guard phase == .train else {
            ElementWise.copy(count, from: dy, to: dx)
            return
        }
        let m = UnsafePointer(mask.data)
        Parallel.forRanges(count) { start, end in
            for i in start..<end { dx[i] = dy[i] * m[i] }
        }
    }
}
