import CaffeProto

/// Caffe's "Accuracy": the fraction of predictions whose label is among the top_k scores.
/// bottoms: scores N × C × …, labels; tops: accuracy (scalar), optionally per-class (C).
/// Has no backward pass.
public final class AccuracyLayer: Layer {
    public let topK: Int
    public private(set) var axis = 1

    public required init(param: Caffe_LayerParameter) throws {
        topK = Int(param.accuracyParam.topK)
        guard topK >= 1 else {
            throw SwiftCaffeError.invalid("accuracy_param.top_k", "top_k must be at least 1 (got \(topK))")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { false }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let scores = bottom[0], labels = bottom[1]
        axis = try canonicalAxis(param.accuracyParam.axis, numAxes: scores.numAxes, field: "accuracy_param.axis")
        let classes = scores.dim(axis)
        guard topK <= classes else {
            throw parameterError("accuracy_param.top_k",
                                 "top_k \(topK) is larger than the \(classes) classes of \(scores.shapeString)")
        }
        let predictions = scores.count(from: 0, to: axis) * scores.count(from: axis + 1)
        guard predictions == labels.count else {
            throw shapeError("the labels (\(labels.shapeString)) must hold one value per prediction: "
                             + "\(predictions) for scores of shape \(scores.shapeString)")
        }
        try top[0].reshape([])
        if top.count > 1 { try top[1].reshape([classes]) }
    }
}
