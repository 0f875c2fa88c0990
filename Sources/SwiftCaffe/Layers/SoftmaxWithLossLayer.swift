#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Softmax followed by multinomial logistic loss, Caffe's "SoftmaxWithLoss".
///
/// bottoms: scores outer × C × inner (C = shape[axis], axis default 1) and labels with
/// outer·inner values (class indices stored as floats); tops: the loss (a scalar) and
/// optionally the probabilities (same shape as the scores).
///
/// loss = −Σ log(max(p[label], FLT_MIN)) / normalizer over the positions whose label is
/// not `ignore_label`. normalizer (at least 1): VALID (default) the count of such
/// positions, BATCH_SIZE outer, FULL outer·inner, NONE 1. The legacy `normalize: false`
/// means BATCH_SIZE when `normalization` is not given.
/// Backward: scores_diff = (p − onehot(label)) · top_diff / normalizer, 0 at ignored positions.
public final class SoftmaxWithLossLayer: Layer {
    public private(set) var axis = 1
    /// Positions before and after the class axis, and the classes.
    public private(set) var outerCount = 0, innerCount = 0, channels = 0
    public var normalization: Caffe_LossParameter.NormalizationMode { lossNormalization.mode }
    private let lossNormalization: LossNormalization
    public let ignoreLabel: Int?
    /// Probabilities when there is no second top; per-position maxima for the softmax.
    private let probabilities = Blob(0), scratch = Blob(0)
    /// Non-ignored labels seen by the last forward.
    private var validCount = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.lossParam
        lossNormalization = LossNormalization(p, unset: .valid)
        ignoreLabel = p.hasIgnoreLabel ? Int(p.ignoreLabel) : nil
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let scores = bottom[0], labels = bottom[1]
        for t in top where bottom.contains(where: { $0 === t }) {
            throw shapeError("SoftmaxWithLoss cannot compute in place", hint: "give its tops new names")
        }
        let geometry = try classAxis(param.softmaxParam.axis, field: "softmax_param.axis", predictions: scores,
                                     named: "scores", labels: labels)
        (axis, outerCount, innerCount, channels) = (geometry.axis, geometry.outerCount, geometry.innerCount,
                                                    geometry.classes)
        try top[0].reshape([])
        if top.count > 1 {
            try top[1].reshape(like: scores)
            try probabilities.reshape([0])
        } else {
            try probabilities.reshape(like: scores)
        }
        try scratch.reshape([outerCount * innerCount])
    }

    /// The probabilities: the second top if there is one, else the internal buffer.
    private func probabilityData(_ top: [Blob]) -> UnsafeMutablePointer<Float> {
        top.count > 1 ? top[1].data : probabilities.data
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let prob = probabilityData(top)
        SoftmaxLayer.softmax(bottom[0].data, into: prob, outer: outerCount, channels: channels,
                             inner: innerCount, scratch: scratch.data)
        let labels = bottom[1].data
        let (channels, inner) = (self.channels, innerCount)
        var loss: Float = 0
        var count = 0
        for o in 0..<outerCount {
            for j in 0..<inner {
                let index = o * inner + j
                guard let label = try classLabel(labels[index], at: index, classes: channels) else { continue }
                loss -= logf(max(prob[(o * channels + label) * inner + j], Float.leastNormalMagnitude))
                count += 1
            }
        }
        validCount = count
        top[0].data[0] = loss / normalizer(validCount: count)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try refuseGradients(propagateDown)
        guard propagateDown[0] else { return }
        let prob = probabilityData(top)
        let dx = bottom[0].diff
        let labels = bottom[1].data
        let (channels, inner) = (self.channels, innerCount)
        let n = bottom[0].count
        dx.update(from: prob, count: n)
        for o in 0..<outerCount {
            for j in 0..<inner {
                let index = o * inner + j
                if let label = try classLabel(labels[index], at: index, classes: channels) {
                    dx[(o * channels + label) * inner + j] -= 1
                } else {
                    for c in 0..<channels { dx[(o * channels + c) * inner + j] = 0 }
                }
            }
        }
        let scale = top[0].diff[0] / normalizer(validCount: validCount)
        BLAS.scal(n, alpha: scale, x: dx)
    }

    /// Caffe's get_normalizer, never below 1.
    func normalizer(validCount: Int) -> Float {
        lossNormalization.normalizer(outer: outerCount, inner: innerCount, valid: validCount)
    }

    /// The class of a label value, nil when it is `ignore_label`.
    private func classLabel(_ value: Float, at index: Int, classes: Int) throws -> Int? {
        try classIndex(value, at: index, classes: classes, ignoreLabel: ignoreLabel, parameterBlock: "loss_param")
    }
}
