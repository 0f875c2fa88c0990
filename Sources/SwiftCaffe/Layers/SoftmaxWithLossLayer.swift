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
    public let normalization: Caffe_LossParameter.NormalizationMode
    public let ignoreLabel: Int?
    /// Probabilities when there is no second top; per-position maxima for the softmax.
    private let probabilities = Blob(0), scratch = Blob(0)
    /// Non-ignored labels seen by the last forward.
    private var validCount = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.lossParam
        if p.hasNormalize && !p.hasNormalization {
            normalization = p.normalize ? .valid : .batchSize
        } else {
            normalization = p.normalization
        }
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
        axis = try canonicalAxis(param.softmaxParam.axis, numAxes: scores.numAxes, field: "softmax_param.axis")
        outerCount = scores.count(from: 0, to: axis)
        innerCount = scores.count(from: axis + 1)
        channels = scores.dim(axis)
        guard outerCount * innerCount == labels.count else {
            throw shapeError("the labels (\(labels.shapeString)) must hold one value per prediction: "
                             + "\(outerCount * innerCount) for scores of shape \(scores.shapeString)",
                             hint: "with axis \(axis), labels need shape N×H×W where scores are N×C×H×W")
        }
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
                guard let label = try classIndex(labels[index], at: index, classes: channels) else { continue }
                loss -= logf(max(prob[(o * channels + label) * inner + j], Float.leastNormalMagnitude))
                count += 1
            }
        }
        validCount = count
        top[0].data[0] = loss / normalizer(validCount: count)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown.count > 1, propagateDown[1] {
            throw shapeError("SoftmaxWithLoss cannot backpropagate to its label input",
                             hint: "set 'propagate_down: true propagate_down: false' for the scores and labels")
        }
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
                if let label = try classIndex(labels[index], at: index, classes: channels) {
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
        let value: Int
        switch normalization {
        case .full: value = outerCount * innerCount
        case .valid: value = validCount
        case .batchSize: value = outerCount
        case .none: value = 1
        }
        return Float(max(1, value))
    }

    /// The class of a label value (truncated to an integer as Caffe's static_cast), nil
    /// when it is `ignore_label`; throws for anything that is not a class.
    private func classIndex(_ value: Float, at index: Int, classes: Int) throws -> Int? {
        try Self.classIndex(value, at: index, classes: classes, ignoreLabel: ignoreLabel, layer: self,
                            parameterBlock: "loss_param")
    }

    static func classIndex(_ value: Float, at index: Int, classes: Int, ignoreLabel: Int?,
                           layer: Layer, parameterBlock: String) throws -> Int? {
        if value.isFinite, value > -2_147_483_648, value < 2_147_483_648 {
            let label = Int(value)
            if label == ignoreLabel { return nil }
            if label >= 0, label < classes { return label }
        }
        throw layer.shapeError("label \(value) at index \(index) of the label blob is not a class in 0..<\(classes)",
            hint: ignoreLabel.map { "labels must be class indices or the ignore_label \($0)" }
                ?? "labels must be class indices; set \(parameterBlock) { ignore_label: … } to skip some positions")
    }
}
