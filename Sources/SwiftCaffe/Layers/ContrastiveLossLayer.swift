#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "ContrastiveLoss" (Hadsell, Chopra & LeCun 2006), the loss of siamese nets.
///
/// bottoms: features a and b (N × C, or N × C × 1 × 1; the same shape) and the pair
/// similarity y (N values: nonzero after truncation to an integer = similar, as Caffe's
/// static_cast<int>); top: the loss, a scalar.
///
/// With d² = ‖a_n − b_n‖² and m = contrastive_loss_param.margin (default 1):
///   loss = Σ_n [y_n · d² + (1 − y_n) · max(m − d, 0)²] / 2N,
/// or with legacy_version: true (Caffe's original formula) max(m − d², 0) for dissimilar pairs.
/// Backward (to a; b gets the opposite sign), scaled by top_diff / N:
/// similar (a − b); dissimilar, where the hinge is active, −(m − d)/(d + 1e-4) · (a − b)
/// (legacy: −(a − b)), else 0. The 1e-4 keeps Caffe's guard against d = 0.
/// The similarity label takes no gradient.
public final class ContrastiveLossLayer: Layer {
    public let margin: Float
    public let legacyVersion: Bool
    /// a − b and the squared distances per pair, from the last forward.
    private let difference = Blob(0), distanceSquared = Blob(0)
    private var pairs = 0, channels = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.contrastiveLossParam
        margin = p.margin
        legacyVersion = p.legacyVersion
        guard margin.isFinite else {
            throw SwiftCaffeError.invalid("contrastive_loss_param.margin", "the margin must be a finite number (got \(margin))",
                                          hint: "leave it out for Caffe's default 1")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 3...3 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 2 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (a, b, y) = (bottom[0], bottom[1], bottom[2])
        guard !bottom.contains(where: { $0 === top[0] }) else {
            throw shapeError("ContrastiveLoss cannot compute in place", hint: "give its top a new name")
        }
        guard a.numAxes >= 1, a.shape == b.shape else {
            throw shapeError("the two feature inputs need the same shape, got \(a.shapeString) and \(b.shapeString)",
                             hint: "a siamese net's two branches must end in layers of the same num_output")
        }
        pairs = a.dim(0)
        channels = a.count(from: 1)
        guard y.count == pairs else {
            throw shapeError("the similarity labels (\(y.shapeString)) must hold one value per pair: \(pairs) for "
                             + "features of shape \(a.shapeString)", hint: "give the third bottom shape N (1 = similar, 0 = not)")
        }
        try top[0].reshape([])
        try difference.reshape(like: a)
        try distanceSquared.reshape([pairs])
    }

    /// Caffe's static_cast<int>(y) != 0: |y| ≥ 1 (NaN counts as dissimilar).
    @inline(__always)
    private static func isSimilar(_ y: Float) -> Bool { y >= 1 || y <= -1 }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let a = UnsafePointer(bottom[0].data), b = UnsafePointer(bottom[1].data), y = UnsafePointer(bottom[2].data)
        let d = difference.data, dsq = distanceSquared.data
        let n = bottom[0].count
        Parallel.forRanges(n) { start, end in
            for i in start..<end { d[i] = a[i] - b[i] }
        }
        var loss: Float = 0
        for p in 0..<pairs {
            let row = UnsafePointer(d + p * channels)
            dsq[p] = BLAS.dot(channels, row, row)
            if Self.isSimilar(y[p]) {
                loss += dsq[p]
            } else if legacyVersion {
                loss += max(margin - dsq[p], 0)
            } else {
                let hinge = max(margin - sqrtf(dsq[p]), 0)
                loss += hinge * hinge
            }
        }
        top[0].data[0] = loss / Float(pairs) / 2
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try refuseGradients(propagateDown, what: { _ in "similarity label" })
        let d = UnsafePointer(difference.data), dsq = UnsafePointer(distanceSquared.data)
        let y = UnsafePointer(bottom[2].data)
        for i in 0..<2 where propagateDown[i] {
            let alpha = (i == 0 ? 1 : -1) * top[0].diff[0] / Float(pairs)
            let dx = bottom[i].diff
            for p in 0..<pairs {
                let offset = p * channels
                let beta: Float
                if Self.isSimilar(y[p]) {
                    beta = alpha
                } else if legacyVersion {
                    beta = margin - dsq[p] > 0 ? -alpha : 0
                } else {
                    let distance = sqrtf(dsq[p])
                    let hinge = margin - distance
                    beta = hinge > 0 ? -alpha * hinge / (distance + 1e-4) : 0
                }
                for c in 0..<channels { dx[offset + c] = beta * d[offset + c] }
            }
        }
    }
}
