import CaffeProto

/// Caffe's "HingeLoss": the one-versus-all hinge loss of a linear SVM (InnerProduct +
/// HingeLoss).
///
/// bottoms: scores x, N × K (or N × …, K = count / N), and labels (N class indices);
/// top: the loss, a scalar.
///
/// With δ_nk = 1 for the true class k = label_n and −1 for the others, the margins are
/// t_nk = max(0, 1 − δ_nk · x_nk), and loss = Σ t / N (hinge_loss_param.norm L1, the
/// default) or Σ t² / N (L2).
/// Backward: x_diff = −δ · sign(t) · top_diff / N (L1; sign(0) = 0) or −2δ · t · top_diff / N (L2).
/// The labels take no gradient.
public final class HingeLossLayer: Layer {
    public let norm: Caffe_HingeLossParameter.Norm
    /// The margins t from the last forward (Caffe keeps them in the bottom's diff; a
    /// buffer of our own leaves the diff to backward).
    private let margins = Blob(0)
    private var examples = 0, classes = 0

    public required init(param: Caffe_LayerParameter) throws {
        norm = param.hingeLossParam.norm
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (scores, labels) = (bottom[0], bottom[1])
        guard top[0] !== scores, top[0] !== labels else {
            throw shapeError("HingeLoss cannot compute in place", hint: "give its top a new name")
        }
        (examples, classes) = try examplesAndClasses(predictions: scores, named: "scores", labels: labels)
        try top[0].reshape([])
        try margins.reshape(like: scores)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), labels = UnsafePointer(bottom[1].data), t = margins.data
        let classes = self.classes
        for n in 0..<examples {
            guard let label = try classIndex(labels[n], at: n, classes: classes, ignoreLabel: nil,
                                             parameterBlock: nil) else { continue }
            for k in 0..<classes {
                let i = n * classes + k
                t[i] = max(0, 1 + (k == label ? -x[i] : x[i]))
            }
        }
        let count = bottom[0].count
        let sum = norm == .l2 ? BLAS.dot(count, t, t) : BLAS.asum(count, t)
        top[0].data[0] = sum / Float(examples)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try refuseGradients(propagateDown)
        guard propagateDown[0] else { return }
        let labels = UnsafePointer(bottom[1].data), t = UnsafePointer(margins.data), dx = bottom[0].diff
        let classes = self.classes
        let scale = top[0].diff[0] / Float(examples) * (norm == .l2 ? 2 : 1)
        let l1 = norm != .l2
        for n in 0..<examples {
            guard let label = try classIndex(labels[n], at: n, classes: classes, ignoreLabel: nil,
                                             parameterBlock: nil) else { continue }
            for k in 0..<classes {
                let i = n * classes + k
                let magnitude: Float = l1 ? (t[i] > 0 ? 1 : 0) : t[i]
                dx[i] = (k == label ? -magnitude : magnitude) * scale
            }
        }
    }
}
