#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "MultinomialLogisticLoss": the negative log-likelihood of the true class, for
/// nets that compute their own probabilities (Softmax → MultinomialLogisticLoss is
/// SoftmaxWithLoss in two less stable steps).
///
/// bottoms: probabilities p, N × K (or N × …, K = count / N), and labels (N class
/// indices); top: the loss, a scalar.
/// loss = −Σ_n log(max(p[n, label_n], 1e-20)) / N  (Caffe's kLOG_THRESHOLD keeps log finite).
/// Backward: p_diff[n, label_n] = −top_diff / (N · max(p[n, label_n], 1e-20)), 0 elsewhere.
/// The labels take no gradient.
public final class MultinomialLogisticLossLayer: Layer {
    /// Caffe's kLOG_THRESHOLD: probabilities below it count as it.
    public static let logThreshold: Float = 1e-20
    private var examples = 0, classes = 0

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (probabilities, labels) = (bottom[0], bottom[1])
        guard top[0] !== probabilities, top[0] !== labels else {
            throw shapeError("MultinomialLogisticLoss cannot compute in place", hint: "give its top a new name")
        }
        (examples, classes) = try examplesAndClasses(predictions: probabilities, named: "probabilities", labels: labels)
        try top[0].reshape([])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let p = UnsafePointer(bottom[0].data), labels = UnsafePointer(bottom[1].data)
        var loss: Float = 0
        for n in 0..<examples {
            guard let label = try classIndex(labels[n], at: n, classes: classes, ignoreLabel: nil,
                                             parameterBlock: nil) else { continue }
            loss -= logf(max(p[n * classes + label], Self.logThreshold))
        }
        top[0].data[0] = loss / Float(examples)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try refuseGradients(propagateDown)
        guard propagateDown[0] else { return }
        let p = UnsafePointer(bottom[0].data), labels = UnsafePointer(bottom[1].data), dx = bottom[0].diff
        dx.update(repeating: 0, count: bottom[0].count)
        let scale = -top[0].diff[0] / Float(examples)
        for n in 0..<examples {
            guard let label = try classIndex(labels[n], at: n, classes: classes, ignoreLabel: nil,
                                             parameterBlock: nil) else { continue }
            let i = n * classes + label
            dx[i] = scale / max(p[i], Self.logThreshold)
        }
    }
}
