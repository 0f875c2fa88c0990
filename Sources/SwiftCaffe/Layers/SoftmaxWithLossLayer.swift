import CaffeProto

/// Softmax followed by multinomial logistic loss, Caffe's "SoftmaxWithLoss".
///
/// bottoms: scores N × C × … and labels with one value per (N, spatial) position;
/// top: the loss (a scalar) and optionally the probabilities (same shape as scores).
/// normalization: VALID (default; count of non-ignored labels), BATCH_SIZE, FULL, NONE.
public final class SoftmaxWithLossLayer: Layer {
    public private(set) var axis = 1
    /// Positions before and after the class axis.
    public private(set) var outerCount = 0, innerCount = 0

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let scores = bottom[0], labels = bottom[1]
        axis = try canonicalAxis(param.softmaxParam.axis, numAxes: scores.numAxes, field: "softmax_param.axis")
        outerCount = scores.count(from: 0, to: axis)
        innerCount = scores.count(from: axis + 1)
        guard outerCount * innerCount == labels.count else {
            throw shapeError("the labels (\(labels.shapeString)) must hold one value per prediction: "
                             + "\(outerCount * innerCount) for scores of shape \(scores.shapeString)",
                             hint: "with axis \(axis), labels need shape N×H×W where scores are N×C×H×W")
        }
        try top[0].reshape([])
        if top.count > 1 { try top[1].reshape(like: scores) }
    }
}
