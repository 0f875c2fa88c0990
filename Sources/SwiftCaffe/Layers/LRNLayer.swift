#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Local response normalization, Caffe's "LRN" (AlexNet §3.3).
///
/// bottom and top: N × C × H × W (not in place).
///
/// ACROSS_CHANNELS: scale = k + α/n · Σ_{n channels centred on c, zero beyond the
/// edges} x², y = x · scale^−β (`powf`; for β = 0.75 as 1/(√s·√√s), within 2 ulp
/// and vectorizable). The window sum is a running sum over channels
/// (add the channel entering, subtract the one leaving), so the cost is O(C), not
/// O(C·n). `scale` is kept for backward, which is Caffe's CrossChannelBackward:
/// ∂x = ∂y · scale^−β − (2αβ/n) · x · Σ_window(∂y · y / scale).
///
/// WITHIN_CHANNEL: y = x · (1 + α · m)^−β, m the n × n average of x² around the
/// pixel (pad (n−1)/2, stride 1, the divisor counting padded cells). `k` is ignored.
/// Caffe builds this from split → square → AVE pool → power → product layers; this
/// does the same arithmetic in its own loops, with the exact backward of that chain.
public final class LRNLayer: Layer {
    public let localSize: Int
    public let alpha: Float
    public let beta: Float
    public let k: Float
    public let region: Caffe_LRNParameter.NormRegion

    /// ACROSS: data = scale (N×C×H×W). WITHIN: data = the pooled mean of squares m,
    /// diff = backward scratch (∂E/∂m already divided by the window divisor).
    private let scale = Blob(1)
    /// WITHIN: data = (1 + α·m)^−β. ACROSS: data = running window sum of ∂y·y/scale per pixel (N×H×W).
    private let buffer = Blob(1)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.lrnParam
        localSize = Int(p.localSize)
        alpha = p.alpha
        beta = p.beta
        k = p.k
        region = p.normRegion
        guard localSize > 0, localSize % 2 == 1 else {
            throw SwiftCaffeError.invalid("lrn_param.local_size",
                "local_size must be a positive odd number (got \(p.localSize))",
                hint: "the window is centred on each channel, so it needs an odd size such as 5")
        }
        try SwiftCaffeError.rejectCUDNN(p.hasEngine && p.engine == .cudnn, field: "lrn_param.engine")
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].numAxes == 4 else {
            throw shapeError("LRN needs a 4-D N×C×H×W input, got \(bottom[0].shapeString)")
        }
        guard top[0] !== bottom[0] else {
            throw shapeError("LRN cannot run in place (its backward needs both input and output)",
                             hint: "give the top a name different from the bottom")
        }
        try top[0].reshape(like: bottom[0])
        try scale.reshape(like: bottom[0])
        switch region {
        case .acrossChannels: try buffer.reshape([bottom[0].dim(0), bottom[0].dim(2), bottom[0].dim(3)])
        case .withinChannel: try buffer.reshape(like: bottom[0])
        }
        let x = bottom[0]
        let shape = LRNShape(batch: x.dim(0), channels: x.dim(1), height: x.dim(2), width: x.dim(3),
                             localSize: localSize, alpha: alpha, beta: beta, k: k,
                             acrossChannels: region == .acrossChannels)
        dnnl = engineKernels(asksForReference: param.lrnParam.engine == .caffe, current: dnnl,
                             fits: { $0.shape == shape }) { shape.batch > 0 ? try DNNLLRN(shape) : nil }
    }

    /// oneDNN's kernels for the current shape, when the layer runs on the dnnl engine.
    private var dnnl: DNNLLRN?

    public override var engineDescription: String {
        dnnl.map { "dnnl \($0.implementations) \($0.layoutName)" } ?? "openblas"
    }
    public override var conversionNanoseconds: UInt64 { dnnl?.clock.nanoseconds ?? 0 }
    public override func resetConversionTime() { dnnl?.clock.reset() }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        if let dnnl { return try dnnl.forward(input: bottom[0], output: top[0]) }
        switch region {
        case .acrossChannels: acrossForward(bottom[0], top[0])
        case .withinChannel: withinForward(bottom[0], top[0])
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        if let dnnl { return try dnnl.backward(output: top[0], input: bottom[0]) }
        switch region {
        case .acrossChannels: acrossBackward(top[0], bottom[0])
        case .withinChannel: withinBackward(top[0], bottom[0])
        }
    }

    /// out[j] = s[j]^−β for j < n. β = 0.75 (AlexNet, CaffeNet, GoogLeNet) as
    /// 1/(√s·√√s): vectorizable and within 2 ulp of `powf`, which is scalar and several
    /// times slower; any other β through `powf`, as Caffe's caffe_powx.
    @inline(__always)
    private static func inversePower(_ s: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                                     beta: Float) {
        if beta == 0.75 {
            SIMD4Loop.run(n) { j in
                let root = SIMD4Loop.load(s + j).squareRoot()
                SIMD4Loop.store(1 / (root * root.squareRoot()), out + j)
            } scalar: { j in
                let root = s[j].squareRoot()
                out[j] = 1 / (root * root.squareRoot())
            }
        } else {
            for j in 0..<n { out[j] = powf(s[j], -beta) }
        }
    }

    // MARK: ACROSS_CHANNELS

    /// Pixels per run: the run's C channels of x, scale and y stay in the L2 cache.
    private static let runLength = 256

    /// Calls `body(n, p, length)` on runs of at most `runLength` pixels p..<p+length of
    /// sample n that together cover all N × H × W pixels, split over the cores.
    private static func forPixelRuns(samples: Int, plane: Int, work: Int, _ body: (Int, Int, Int) -> Void) {
        let total = samples * plane
        guard total > 0 else { return }
        // Parallel.forRanges splits by element count; scale it by the per-pixel work.
        let chunks = min(Parallel.threads, max(1, total * work / Parallel.minimumPerThread))
        let size = (total + chunks - 1) / chunks
        Parallel.forEach(chunks, workPerItem: Parallel.minimumPerThread) { chunk in
            var i = chunk * size
            let end = min(total, i + size)
            while i < end {
                let n = i / plane, p = i - n * plane
                let length = min(end - i, plane - p, runLength)
                body(n, p, length)
                i += length
            }
        }
    }

    private func acrossForward(_ bottom: Blob, _ top: Blob) {
        let (channels, plane) = (bottom.dim(1), bottom.dim(2) * bottom.dim(3))
        let x = UnsafePointer(bottom.data), y = top.data, s = scale.data
        let size = localSize, prePad = (localSize - 1) / 2
        let a = alpha / Float(localSize), k = self.k, beta = self.beta
        Self.forPixelRuns(samples: bottom.dim(0), plane: plane, work: channels * 4) { n, p, length in
            // Local copies: captured pointers would be reloaded after every store.
            let (x, y, s) = (x, y, s)
            let base = n * channels * plane + p
            // Channel 0: k + a · Σ x² over channels 0 … prePad (the rest of the window is zero
            // padding). Caffe's axpy may fuse a·x² + s; plain multiply-add here (no FMA in
            // the baseline instruction set; libm's fmaf is a slow call).
            let s0 = s + base
            for j in 0..<length { s0[j] = k }
            for c in 0..<min(size - prePad, channels) {
                let xc = x + base + c * plane
                for j in 0..<length { s0[j] += a * (xc[j] * xc[j]) }
            }
            // Channel c: the previous sum, plus the channel entering, minus the one leaving.
            for c in 1..<max(channels, 1) {
                let sc = s + base + c * plane, previous = sc - plane
                for j in 0..<length { sc[j] = previous[j] }
                let head = c + prePad, tail = c - 1 - prePad
                if head < channels {
                    let xh = x + base + head * plane
                    for j in 0..<length { sc[j] += a * (xh[j] * xh[j]) }
                }
                if tail >= 0 {
                    let xt = x + base + tail * plane
                    for j in 0..<length { sc[j] -= a * (xt[j] * xt[j]) }
                }
            }
            // y = s^−β · x
            for c in 0..<channels {
                let o = base + c * plane
                let (xc, yc) = (x + o, y + o)
                Self.inversePower(s + o, yc, length, beta: beta)
                for j in 0..<length { yc[j] *= xc[j] }
            }
        }
    }

    /// acc[j] += sign · ∂y·y/scale over one channel's run (pointers already offset;
    /// indexing by j alone keeps the loop vectorizable).
    @inline(__always)
    private static func accumulateRatio(_ acc: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
                                        _ y: UnsafePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int, add: Bool) {
        if add {
            for j in 0..<n { acc[j] += (dy[j] * y[j]) / s[j] }
        } else {
            for j in 0..<n { acc[j] -= (dy[j] * y[j]) / s[j] }
        }
    }

    private func acrossBackward(_ top: Blob, _ bottom: Blob) {
        let (channels, plane) = (bottom.dim(1), bottom.dim(2) * bottom.dim(3))
        let x = UnsafePointer(bottom.data), y = UnsafePointer(top.data), dy = UnsafePointer(top.diff)
        let s = UnsafePointer(scale.data), dx = bottom.diff, accum = buffer.data
        let prePad = (localSize - 1) / 2, beta = self.beta
        let ratioScale = Float(2.0 * Double(alpha) * Double(beta) / Double(localSize))
        Self.forPixelRuns(samples: bottom.dim(0), plane: plane, work: channels * 6) { n, p, length in
            let (x, y, dy, s, dx) = (x, y, dy, s, dx)
            let base = n * channels * plane + p
            let acc = accum + n * plane + p
            // ratio(c) = ∂y·y/scale at channel c; the window sum starts with channels 0 ..< prePad.
            for j in 0..<length { acc[j] = 0 }
            for c in 0..<min(prePad, channels) {
                let o = base + c * plane
                Self.accumulateRatio(acc, dy + o, y + o, s + o, length, add: true)
            }
            for c in 0..<channels {
                let head = c + prePad, tail = c - prePad
                if head < channels {
                    let o = base + head * plane
                    Self.accumulateRatio(acc, dy + o, y + o, s + o, length, add: true)
                }
                let o = base + c * plane
                let (xc, dyc, dxc) = (x + o, dy + o, dx + o)
                Self.inversePower(s + o, dxc, length, beta: beta)
                for j in 0..<length { dxc[j] = dyc[j] * dxc[j] - ratioScale * (xc[j] * acc[j]) }
                if tail >= 0 {
                    let t = base + tail * plane
                    Self.accumulateRatio(acc, dy + t, y + t, s + t, length, add: false)
                }
            }
        }
    }

    // MARK: WITHIN_CHANNEL

    /// The window of pixel (h, w) along one axis, clipped to the image, and the
    /// extent Caffe's AVE pooling divides by (clipped to size + pad only).
    @inline(__always)
    private static func window(_ i: Int, _ extent: Int, _ size: Int, _ pad: Int) -> (Int, Int, Int) {
        let start = i - pad, end = min(start + size, extent + pad)
        return (max(start, 0), min(end, extent), end - start)
    }

    private func withinForward(_ bottom: Blob, _ top: Blob) {
        let (height, width) = (bottom.dim(2), bottom.dim(3))
        let plane = height * width, size = localSize, pad = (localSize - 1) / 2
        let x = UnsafePointer(bottom.data), y = top.data, mean = scale.data, powered = buffer.data
        let power = PowerFunction(power: -beta, scale: alpha, shift: 1)
        Parallel.forEach(bottom.dim(0) * bottom.dim(1), workPerItem: plane * size * size) { index in
            let o = index * plane
            let xp = x + o
            for h in 0..<height {
                let (h0, h1, hExtent) = Self.window(h, height, size, pad)
                for w in 0..<width {
                    let (w0, w1, wExtent) = Self.window(w, width, size, pad)
                    var sum: Float = 0
                    for hh in h0..<h1 {
                        for ww in w0..<w1 { let v = xp[hh * width + ww]; sum += v * v }
                    }
                    let i = o + h * width + w
                    let m = sum / Float(hExtent * wExtent)
                    mean[i] = m
                    powered[i] = power.value(m)
                    y[i] = x[i] * powered[i]
                }
            }
        }
    }

    private func withinBackward(_ top: Blob, _ bottom: Blob) {
        let (height, width) = (bottom.dim(2), bottom.dim(3))
        let plane = height * width, size = localSize, pad = (localSize - 1) / 2
        let x = UnsafePointer(bottom.data), dy = UnsafePointer(top.diff), dx = bottom.diff
        let mean = UnsafePointer(scale.data), share = scale.diff, powered = UnsafePointer(buffer.data)
        let power = PowerFunction(power: -beta, scale: alpha, shift: 1)
        Parallel.forEach(bottom.dim(0) * bottom.dim(1), workPerItem: plane * size * size) { index in
            let o = index * plane
            // ∂E/∂m (product → power backward), divided by each window's divisor (pool backward).
            for h in 0..<height {
                let hExtent = Self.window(h, height, size, pad).2
                for w in 0..<width {
                    let i = o + h * width + w
                    let dm = power.gradient(topDiff: x[i] * dy[i], x: mean[i], y: powered[i])
                    share[i] = dm / Float(hExtent * Self.window(w, width, size, pad).2)
                }
            }
            // ∂x = ∂y · powered + (Σ shares of the windows holding x) · 2x, windows in row order.
            for h in 0..<height {
                let (h0, h1, _) = Self.window(h, height, size, pad)
                for w in 0..<width {
                    let (w0, w1, _) = Self.window(w, width, size, pad)
                    var sum: Float = 0
                    for hh in h0..<h1 {
                        for ww in w0..<w1 { sum += share[o + hh * width + ww] }
                    }
                    let i = o + h * width + w
                    dx[i] = dy[i] * powered[i] + sum * (2 * x[i])
                }
            }
        }
    }
}
