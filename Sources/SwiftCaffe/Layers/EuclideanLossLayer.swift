import CaffeProto

/// Caffe's "EuclideanLoss": loss = Σ (a − b)² / (2N), N = the first dimension.
///
/// bottoms: a and b, N × … with the same count; top: a scalar.
/// Backward: a_diff = (a − b) · top_diff / N, b_diff = −(a − b) · top_diff / N.
public final class EuclideanLossLayer: Layer {
    /// a − b from the last forward.
    private let difference = Blob(0)

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (a, b) = (bottom[0], bottom[1])
        guard top[0] !== a, top[0] !== b else {
            throw shapeError("EuclideanLoss cannot compute in place", hint: "give its top a new name")
        }
        guard a.numAxes >= 1, b.numAxes >= 1, a.dim(0) == b.dim(0), a.count == b.count else {
            throw shapeError("both inputs need the same shape, got \(a.shapeString) and \(b.shapeString)")
        }
        try top[0].reshape([])
        try difference.reshape(like: a)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let a = bottom[0].data, b = bottom[1].data, d = difference.data
        let n = bottom[0].count
        Parallel.forRanges(n) { start, end in
            for i in start..<end { d[i] = a[i] - b[i] }
        }
        let dot = BLAS.dot(n, d, d)
        top[0].data[0] = dot / Float(bottom[0].dim(0)) / 2
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let n = bottom[0].count, d = difference.data
        let num = Float(bottom[0].dim(0))
        for i in 0..<2 where propagateDown[i] {
            let alpha = (i == 0 ? 1 : -1) * top[0].diff[0] / num
            let dx = bottom[i].diff
            Parallel.forRanges(n) { start, end in
                for k in start..<end { dx[k] = alpha * d[k] }
            }
        }
    }
}
