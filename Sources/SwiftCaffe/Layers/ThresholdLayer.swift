import CaffeProto

/// Caffe's "Threshold": y = 1 where x > threshold, 0 elsewhere (threshold_param.threshold,
/// default 0). bottom and top: any shape, the same; works in place.
///
/// A step function has no useful gradient and Caffe's backward is NOT_IMPLEMENTED:
/// asking for ∂x is an error here too. Unlike Caffe, `force_backward` (and timing
/// a net without a loss) does not ask for it, so such nets still run.
public final class ThresholdLayer: Layer {
    public let threshold: Float

    public required init(param: Caffe_LayerParameter) throws {
        threshold = param.thresholdParam.threshold
        guard !threshold.isNaN else {
            throw SwiftCaffeError.invalid("threshold_param.threshold", "threshold must be a number (got nan)")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { false }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), y = top[0].data, t = threshold
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = x[i] > t ? 1 : 0 }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        throw SwiftCaffeError(.semantic, "Threshold has no gradient (a step function; Caffe does not implement its backward)",
                              layer: name,
                              hint: "add 'propagate_down: false' to this layer, or keep it off the path from the loss to learned layers")
    }
}
