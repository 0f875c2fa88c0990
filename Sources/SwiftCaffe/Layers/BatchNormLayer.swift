#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "BatchNorm": normalizes each channel to zero mean and unit variance (no
/// learned scale or shift; follow it with a Scale layer with bias_term for that).
///
/// bottom and top: N × C × … (spatial S = count / (N·C)); works in place.
/// y = (x − μ_c) / √(σ²_c + eps). Training (`use_global_stats` false, the default in
/// TRAIN): μ, σ² over the N·S values of each channel, and the running sums are updated
/// as Caffe does: s ← s·f + 1, Σμ ← Σμ·f + μ, Σσ² ← Σσ²·f + m/(m−1)·σ², m = N·S,
/// f = moving_average_fraction. Global stats (default in TEST): μ = Σμ/s, σ² = Σσ²/s
/// (0 when s is 0).
/// blobs: [Σμ: C], [Σσ²: C], [s: 1]; statistics, not learned (Caffe gives them lr_mult 0).
/// Backward: training dx = (dy − mean(dy) − mean(dy·y)·y) / √(σ² + eps), means over N·S;
/// global dx = dy / √(σ² + eps).
public final class BatchNormLayer: Layer {
    public let useGlobalStats: Bool
    public let movingAverageFraction: Float
    public let eps: Float
    public private(set) var channels = 0
    /// N and S at the last reshape.
    public private(set) var num = 0, spatial = 0
    /// The normalized output y, kept for backward (later in-place layers may change the top).
    private let normalized = Blob(0)
    /// Per channel: mean, variance, then 1/√(σ² + eps); and two sums for backward.
    private let statistics = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.batchNormParam
        useGlobalStats = p.hasUseGlobalStats ? p.useGlobalStats : param.phase == .test
        movingAverageFraction = p.movingAverageFraction
        eps = p.eps
        // Caffe masks the statistics from the solver: lr_mult 0 for each of the three blobs.
        var masked = param
        for (i, spec) in param.param.enumerated() where spec.lrMult != 0 {
            throw SwiftCaffeError.invalid("param",
                "param \(i) of a BatchNorm layer has lr_mult \(spec.lrMult); its blobs are statistics, not learned",
                hint: "remove the param blocks or give them lr_mult: 0")
        }
        while masked.param.count < 3 {
            var spec = Caffe_ParamSpec()
            spec.lrMult = 0
            masked.param.append(spec)
        }
        try super.init(param: masked)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try checkShape(bottom[0])
        channels = bottom[0].dim(1)
        blobs = [try Blob(shape: [channels]), try Blob(shape: [channels]), try Blob(shape: [1])]
    }

    public override func fillParameters() throws {
        for b in blobs { b.fillData(0) }
    }

    private func checkShape(_ input: Blob) throws {
        guard input.numAxes >= 2 else {
            throw shapeError("BatchNorm needs an input of at least 2 axes (N × C × …), got \(input.shapeString)",
                             hint: "reshape the input to N × C or N × C × H × W")
        }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        try checkShape(input)
        guard input.dim(1) == channels else {
            throw shapeError("input \(input.shapeString) has \(input.dim(1)) channels but the layer was set up "
                             + "for \(channels)")
        }
        num = input.dim(0)
        spatial = num * channels == 0 ? 0 : input.count / (num * channels)
        if top[0] !== input { try top[0].reshape(like: input) }
        try normalized.reshape(like: input)
        try statistics.reshape([5 * channels])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (num, channels, spatial) = (self.num, self.channels, self.spatial)
        let stats = statistics.data
        let mean = stats, variance = stats + channels, inverseStd = stats + 2 * channels
        let m = num * spatial
        if useGlobalStats {
            let s = blobs[2].data[0]
            let factor: Float = s == 0 ? 0 : 1 / s
            for c in 0..<channels {
                mean[c] = factor * blobs[0].data[c]
                variance[c] = factor * blobs[1].data[c]
            }
        } else {
            mean.update(repeating: 0, count: channels)
            for n in 0..<num {
                for c in 0..<channels {
                    let row = x + (n * channels + c) * spatial
                    var sum: Float = 0
                    for i in 0..<spatial { sum += row[i] }
                    mean[c] += sum
                }
            }
            for c in 0..<channels { mean[c] /= Float(m) }
        }
        // y = x − μ (in place: the same memory), and the variance of the batch.
        if !useGlobalStats { variance.update(repeating: 0, count: channels) }
        Parallel.forEach(num * channels, workPerItem: spatial) { row in
            let c = row % channels, start = row * spatial
            let mu = mean[c]
            for i in start..<(start + spatial) { y[i] = x[i] - mu }
        }
        if !useGlobalStats {
            for n in 0..<num {
                for c in 0..<channels {
                    let row = y + (n * channels + c) * spatial
                    var sum: Float = 0
                    for i in 0..<spatial { sum += row[i] * row[i] }
                    variance[c] += sum
                }
            }
            for c in 0..<channels { variance[c] /= Float(m) }
            let f = movingAverageFraction
            blobs[2].data[0] = blobs[2].data[0] * f + 1
            let correction: Float = m > 1 ? Float(m) / Float(m - 1) : 1
            let runningMean = blobs[0].data, runningVariance = blobs[1].data
            for c in 0..<channels {
                runningMean[c] = mean[c] + f * runningMean[c]
                runningVariance[c] = correction * variance[c] + f * runningVariance[c]
            }
        }
        for c in 0..<channels { inverseStd[c] = 1 / (variance[c] + eps).squareRoot() }
        let saved = normalized.data
        Parallel.forEach(num * channels, workPerItem: spatial) { row in
            let c = row % channels, start = row * spatial
            let scale = inverseStd[c]
            for i in start..<(start + spatial) {
                let value = y[i] * scale
                y[i] = value
                saved[i] = value
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        // In place dy and dx are the same memory: every dx[i] depends only on dy[i] and on
        // per-channel sums taken before any dx is written.
        let dy = top[0].diff, dx = bottom[0].diff, y = normalized.data
        let (num, channels, spatial) = (self.num, self.channels, self.spatial)
        let stats = statistics.data
        let inverseStd = stats + 2 * channels
        if useGlobalStats {
            Parallel.forEach(num * channels, workPerItem: spatial) { row in
                let scale = inverseStd[row % channels], start = row * spatial
                for i in start..<(start + spatial) { dx[i] = dy[i] * scale }
            }
            return
        }
        let sumDy = stats + 3 * channels, sumDyY = stats + 4 * channels
        sumDy.update(repeating: 0, count: channels)
        sumDyY.update(repeating: 0, count: channels)
        for n in 0..<num {
            for c in 0..<channels {
                let start = (n * channels + c) * spatial
                var a: Float = 0, b: Float = 0
                for i in start..<(start + spatial) {
                    a += dy[i]
                    b += dy[i] * y[i]
                }
                sumDy[c] += a
                sumDyY[c] += b
            }
        }
        let inverseM = 1 / Float(num * spatial)
        Parallel.forEach(num * channels, workPerItem: spatial) { row in
            let c = row % channels, start = row * spatial
            let meanDy = sumDy[c] * inverseM, meanDyY = sumDyY[c] * inverseM, scale = inverseStd[c]
            for i in start..<(start + spatial) {
                dx[i] = (dy[i] - meanDy - meanDyY * y[i]) * scale
            }
        }
    }
}
