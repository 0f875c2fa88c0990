import CaffeProto

/// Caffe's "Accuracy": the fraction of predictions whose label is among the top_k scores.
///
/// bottoms: scores outer × C × inner (C = shape[axis], axis default 1) and labels with
/// outer·inner values; tops: accuracy (scalar) and optionally per-class accuracy (C),
/// each class's hits over its non-ignored labels (0 for a class without labels).
/// A prediction counts as correct when fewer than top_k other classes score at least as
/// high as the label's class (Caffe's rule: a tie counts against the label).
/// Positions labelled `ignore_label` are skipped. Has no backward pass.
public final class AccuracyLayer: Layer {
    public let topK: Int
    public let ignoreLabel: Int?
    public private(set) var axis = 1
    public private(set) var outerCount = 0, innerCount = 0, channels = 0
    /// Per class: the number of non-ignored labels (for the per-class top).
    private let labelCounts = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        topK = Int(param.accuracyParam.topK)
        guard topK >= 1 else {
            throw SwiftCaffeError.invalid("accuracy_param.top_k", "top_k must be at least 1 (got \(topK))")
        }
        ignoreLabel = param.accuracyParam.hasIgnoreLabel ? Int(param.accuracyParam.ignoreLabel) : nil
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { false }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let scores = bottom[0], labels = bottom[1]
        for t in top where bottom.contains(where: { $0 === t }) {
            throw shapeError("Accuracy cannot compute in place", hint: "give its tops new names")
        }
        axis = try canonicalAxis(param.accuracyParam.axis, numAxes: scores.numAxes, field: "accuracy_param.axis")
        channels = scores.dim(axis)
        guard topK <= channels else {
            throw SwiftCaffeError.invalid("accuracy_param.top_k",
                                          "top_k \(topK) is larger than the \(channels) classes of \(scores.shapeString)")
        }
        outerCount = scores.count(from: 0, to: axis)
        innerCount = scores.count(from: axis + 1)
        guard outerCount * innerCount == labels.count else {
            throw shapeError("the labels (\(labels.shapeString)) must hold one value per prediction: "
                             + "\(outerCount * innerCount) for scores of shape \(scores.shapeString)")
        }
        try top[0].reshape([])
        if top.count > 1 { try top[1].reshape([channels]) }
        try labelCounts.reshape([top.count > 1 ? channels : 0])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let scores = bottom[0].data, labels = bottom[1].data
        let (channels, inner, topK) = (self.channels, innerCount, self.topK)
        let perClass: UnsafeMutablePointer<Float>? = top.count > 1 ? top[1].data : nil
        let counts = labelCounts.data
        if let perClass {
            perClass.update(repeating: 0, count: channels)
            counts.update(repeating: 0, count: channels)
        }
        var hits = 0, total = 0
        for o in 0..<outerCount {
            for j in 0..<inner {
                let index = o * inner + j
                guard let label = try classIndex(labels[index], at: index, classes: channels,
                                                 ignoreLabel: ignoreLabel, parameterBlock: "accuracy_param")
                else { continue }
                let base = o * channels * inner + j
                let score = scores[base + label * inner]
                // The label's own class counts once: start at −1.
                var better = -1
                var c = 0
                while c < channels, better < topK {
                    if scores[base + c * inner] >= score { better += 1 }
                    c += 1
                }
                if perClass != nil { counts[label] += 1 }
                if better < topK {
                    hits += 1
                    if let perClass { perClass[label] += 1 }
                }
                total += 1
            }
        }
        top[0].data[0] = total == 0 ? 0 : Float(hits) / Float(total)
        if let perClass {
            for c in 0..<channels { perClass[c] = counts[c] == 0 ? 0 : perClass[c] / counts[c] }
        }
    }

    /// Caffe has no gradient for accuracy: nothing to do unless one is asked for.
    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for i in 0..<propagateDown.count where propagateDown[i] {   // no generic contains: it allocates in debug
            throw shapeError("Accuracy has no backward pass (asked for bottom \(i))",
                             hint: "accuracy is a metric; do not give it a loss_weight or propagate_down: true")
        }
    }
}
