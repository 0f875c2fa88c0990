import CaffeProto

/// Copies one blob to several consumers, Caffe's "Split" (inserted automatically by the
/// net when a blob feeds more than one layer).
///
/// bottom: any shape; tops: K copies of it (Caffe shares the memory; here each top holds
/// a copy). Backward: bottom_diff = Σ_k top_k diff.
public final class SplitLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        for t in top {
            guard t !== bottom[0] else {
                throw shapeError("Split cannot compute in place", hint: "give its tops new names")
            }
            try t.reshape(like: bottom[0])
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, n = bottom[0].count
        for k in 0..<top.count {   // index loops: array iterators allocate in debug builds
            let y = top[k].data
            Parallel.forRanges(n) { start, end in (y + start).update(from: x + start, count: end - start) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff, n = bottom[0].count
        let first = top[0].diff
        if top.count == 1 {
            Parallel.forRanges(n) { start, end in (dx + start).update(from: first + start, count: end - start) }
            return
        }
        // dx = dy0 + dy1, then += dy2 … (one pass for the common two-top case).
        let second = top[1].diff
        Parallel.forRanges(n) { start, end in
            for i in start..<end { dx[i] = first[i] + second[i] }
        }
        for k in 2..<max(2, top.count) {
            let dy = top[k].diff
            Parallel.forRanges(n) { start, end in
                for i in start..<end { dx[i] += dy[i] }
            }
        }
    }
}
