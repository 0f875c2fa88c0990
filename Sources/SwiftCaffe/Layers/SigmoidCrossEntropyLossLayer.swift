#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "SigmoidCrossEntropyLoss": the cross-entropy between targets t ∈ [0, 1] and
/// σ(x), for multi-label and binary classification.
///
/// bottoms: scores x (N × …) and targets t with the same count; top: the loss, a scalar.
///
/// Per output, in Caffe's numerically stable form (no log of a σ that rounded to 0 or 1):
///   ℓ = −[x · (t − [x ≥ 0]) − log(1 + exp(x − 2x · [x ≥ 0]))] = −[t log σ(x) + (1 − t) log(1 − σ(x))].
/// loss = Σ ℓ / normalizer over the outputs whose target (truncated to an integer) is not
/// `loss_param.ignore_label`. normalizer (at least 1): BATCH_SIZE N — the default here, as
/// in Caffe, unlike SoftmaxWithLoss — FULL every output, VALID the outputs not ignored,
/// NONE 1; the legacy `normalize: true` means VALID, `false` BATCH_SIZE.
/// Backward: x_diff = (σ(x) − t) · top_diff / normalizer, 0 where the target is ignored;
/// σ(x) is kept from forward, where an internal Sigmoid layer computes it (as in Caffe).
/// The targets take no gradient.
public final class SigmoidCrossEntropyLossLayer: Layer {
    public var normalization: Caffe_LossParameter.NormalizationMode { lossNormalization.mode }
    public let ignoreLabel: Int?
    private let lossNormalization: LossNormalization
    /// σ(x), computed by `sigmoid` in forward for backward.
    private let sigmoid: SigmoidLayer
    private let sigmoidTop = [Blob(0)]
    /// The first dimension and the outputs per example, for the normalizer.
    private var outerCount = 0, innerCount = 0
    /// The normalizer of the last forward (backward divides by the same).
    private var lastNormalizer: Float = 1

    public required init(param: Caffe_LayerParameter) throws {
        lossNormalization = LossNormalization(param.lossParam, unset: .batchSize)
        ignoreLabel = param.lossParam.hasIgnoreLabel ? Int(param.lossParam.ignoreLabel) : nil
        var sigmoidParam = Caffe_LayerParameter()
        sigmoidParam.name = param.name + "_sigmoid"
        sigmoidParam.type = "Sigmoid"
        sigmoidParam.phase = param.phase
        sigmoid = try SigmoidLayer(param: sigmoidParam)
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try sigmoid.setUp(bottom: [bottom[0]], top: sigmoidTop, random: random, inspectOnly: inspectOnly)
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (scores, targets) = (bottom[0], bottom[1])
        guard top[0] !== scores, top[0] !== targets else {
            throw shapeError("SigmoidCrossEntropyLoss cannot compute in place", hint: "give its top a new name")
        }
        guard scores.numAxes >= 1, scores.count == targets.count else {
            throw shapeError("the scores (\(scores.shapeString)) and targets (\(targets.shapeString)) "
                             + "must have the same count", hint: "give one target in [0, 1] per score")
        }
        outerCount = scores.dim(0)
        innerCount = scores.count(from: 1)
        try top[0].reshape([])
        // The Sigmoid reads only bottom[0]: it gets our bottoms as they are, here and in
        // forward (a new one-element array would allocate every iteration).
        try sigmoid.reshape(bottom: bottom, top: sigmoidTop)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        try sigmoid.forward(bottom: bottom, top: sigmoidTop)
        let x = UnsafePointer(bottom[0].data), t = UnsafePointer(bottom[1].data)
        var loss: Float = 0
        var valid = 0
        let ignoreLabel = self.ignoreLabel
        for i in 0..<bottom[0].count where !LossLabel.isIgnored(t[i], ignoreLabel) {
            let positive: Float = x[i] >= 0 ? 1 : 0
            loss -= x[i] * (t[i] - positive) - logf(1 + expf(x[i] - 2 * x[i] * positive))
            valid += 1
        }
        lastNormalizer = lossNormalization.normalizer(outer: outerCount, inner: innerCount, valid: valid)
        top[0].data[0] = loss / lastNormalizer
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try refuseGradients(propagateDown, what: { _ in "target" })
        guard propagateDown[0] else { return }
        let y = UnsafePointer(sigmoidTop[0].data), t = UnsafePointer(bottom[1].data), dx = bottom[0].diff
        let scale = top[0].diff[0] / lastNormalizer
        let ignoreLabel = self.ignoreLabel
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = LossLabel.isIgnored(t[i], ignoreLabel) ? 0 : (y[i] - t[i]) * scale }
        }
    }
}
