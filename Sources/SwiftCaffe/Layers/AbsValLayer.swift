import CaffeProto

/// Caffe's "AbsVal": y = |x|. Backward: ∂x = ∂y · sign(x) (0 at x = 0).
/// bottom and top: any shape, the same. Not in place, as in Caffe (backward needs x).
public final class AbsValLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard top[0] !== bottom[0] else {
            throw shapeError("AbsVal cannot run in place (its backward needs the sign of the input)",
                             hint: "give the top a name different from the bottom")
        }
        try top[0].reshape(like: bottom[0])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = abs(x[i]) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = UnsafePointer(bottom[0].data), dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end {
                let sign: Float = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0)
                dx[i] = sign * dy[i]
            }
        }
    }
}
