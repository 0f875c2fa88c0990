#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Softmax along `axis` (default 1, the channels), Caffe's "Softmax".
///
/// bottom and top: any shape, viewed as outer × C × inner with C = shape[axis];
/// top[o, c, i] = exp(x[o, c, i] − max_c x[o, ·, i]) / Σ_c exp(x[o, c, i] − max).
/// Backward: bottom_diff = (top_diff − Σ_c top_diff · top) · top. Works in place.
public final class SoftmaxLayer: Layer {
    public private(set) var axis = 1
    /// outer × C × inner at the last reshape.
    public private(set) var outerCount = 0, channels = 0, innerCount = 0
    /// One value per (outer, inner) position: the max in forward, the dot in backward.
    private let scratch = Blob(0)

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        axis = try canonicalAxis(param.softmaxParam.axis, numAxes: input.numAxes, field: "softmax_param.axis")
        outerCount = input.count(from: 0, to: axis)
        channels = input.dim(axis)
        innerCount = input.count(from: axis + 1)
        if top[0] !== input { try top[0].reshape(like: input) }
        try scratch.reshape([outerCount * innerCount])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        Self.softmax(bottom[0].data, into: top[0].data, outer: outerCount, channels: channels,
                     inner: innerCount, scratch: scratch.data)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff
        let dots = scratch.data
        let (channels, inner) = (self.channels, innerCount)
        // Per (o, i): dot = Σ_c dy·y; then dx = (dy − dot)·y (same index: in-place safe).
        Parallel.forEach(outerCount, workPerItem: channels * inner) { o in
            let base = o * channels * inner
            let dot = dots + o * inner
            dot.update(repeating: 0, count: inner)
            for c in 0..<channels {
                let row = base + c * inner
                for i in 0..<inner { dot[i] += dy[row + i] * y[row + i] }
            }
            for c in 0..<channels {
                let row = base + c * inner
                for i in 0..<inner { dx[row + i] = (dy[row + i] - dot[i]) * y[row + i] }
            }
        }
    }

    /// Softmax of `input` (outer × channels × inner) into `output` (may be the same memory),
    /// subtracting the per-position max first as Caffe does. `scratch`: outer·inner Floats.
    static func softmax(_ input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>,
                        outer: Int, channels: Int, inner: Int, scratch: UnsafeMutablePointer<Float>) {
        guard channels > 0 else { return }
        Parallel.forEach(outer, workPerItem: channels * inner * 8) { o in
            let base = o * channels * inner
            let x = input + base, y = output + base
            let m = scratch + o * inner
            if inner == 1 {
                var maximum = x[0]
                for c in 1..<channels where x[c] > maximum { maximum = x[c] }
                var sum: Float = 0
                for c in 0..<channels {
                    let e = expf(x[c] - maximum)
                    y[c] = e
                    sum += e
                }
                let scale = 1 / sum
                for c in 0..<channels { y[c] *= scale }
                return
            }
            // m: the max over channels per inner position, then the sum of exponentials.
            m.update(from: x, count: inner)
            for c in 1..<channels {
                let row = x + c * inner
                for i in 0..<inner where row[i] > m[i] { m[i] = row[i] }
            }
            for c in 0..<channels {
                let row = c * inner
                for i in 0..<inner { y[row + i] = expf(x[row + i] - m[i]) }
            }
            m.update(repeating: 0, count: inner)
            for c in 0..<channels {
                let row = y + c * inner
                for i in 0..<inner { m[i] += row[i] }
            }
            for i in 0..<inner { m[i] = 1 / m[i] }
            for c in 0..<channels {
                let row = y + c * inner
                for i in 0..<inner { row[i] *= m[i] }
            }
        }
    }
}
