import CaffeProto

/// Caffe's "EuclideanLoss": loss = Σ (a − b)² / (2N), N = the first dimension.
/// bottoms: two blobs with the same count per sample; top: a scalar.
public final class EuclideanLossLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (a, b) = (bottom[0], bottom[1])
        guard a.numAxes >= 1, b.numAxes >= 1, a.dim(0) == b.dim(0), a.count == b.count else {
            throw shapeError("both inputs need the same shape, got \(a.shapeString) and \(b.shapeString)")
        }
        try top[0].reshape([])
    }
}
