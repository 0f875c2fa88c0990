#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "MVN" (mean-variance normalization): per example and channel (or per
/// example across channels), y = x − mean, and with `normalize_variance` (default)
/// y = (x − mean) / (σ + eps), σ the biased standard deviation, eps default 1e-9.
///
/// bottom: N × C × H × W (Caffe's legacy 4-D view: at most 4 axes, missing ones are 1);
/// top: N × C × H × W, as Caffe reshapes it. Rows: N·C of H·W values, or N of C·H·W
/// with `across_channels`.
/// Backward (Caffe's formula, per row of `dim` values):
///   normalize_variance: dx = (dy − mean(dy) − y · mean(y · dy)) / (σ + eps)
///   otherwise:          dx = dy − mean(dy).
/// Works in place: backward reads only the top's data and per-row sums.
public final class MVNLayer: Layer {
    public let normalizeVariance: Bool
    public let acrossChannels: Bool
    public let eps: Float
    /// Rows normalized separately and values per row, at the last reshape.
    public private(set) var rows = 0, dim = 0
    /// Per row: σ + eps from the last forward (1 without normalize_variance).
    private let deviations = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.mvnParam
        normalizeVariance = p.normalizeVariance
        acrossChannels = p.acrossChannels
        eps = p.eps
        guard eps >= 0, eps.isFinite else {
            throw SwiftCaffeError.invalid("mvn_param.eps", "eps must be a non-negative number (got \(eps))",
                                          hint: "leave it at its default 1e-9")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard input.numAxes <= 4 else {
            throw shapeError("MVN takes a blob of at most 4 axes (N × C × H × W), got \(input.shapeString)",
                             hint: "reshape the input to 4 axes first")
        }
        let legacy = (0..<4).map { $0 < input.numAxes ? input.dim($0) : 1 }
        rows = acrossChannels ? legacy[0] : legacy[0] * legacy[1]
        dim = rows == 0 ? 0 : input.count / rows
        try top[0].reshape(legacy)
        try deviations.reshape([rows])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, deviations = self.deviations.data
        let (dim, normalize, eps) = (self.dim, normalizeVariance, self.eps)
        guard dim > 0 else { return }
        Parallel.forEach(rows, workPerItem: dim * 4) { r in
            let input = x + r * dim, output = y + r * dim
            var sum: Float = 0
            for j in 0..<dim { sum += input[j] }
            let mean = sum / Float(dim)
            for j in 0..<dim { output[j] = input[j] - mean }
            guard normalize else { deviations[r] = 1; return }
            var squares: Float = 0
            for j in 0..<dim { squares += output[j] * output[j] }
            let deviation = sqrtf(squares / Float(dim)) + eps
            deviations[r] = deviation
            let scale = 1 / deviation
            for j in 0..<dim { output[j] *= scale }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff, deviations = self.deviations.data
        let (dim, normalize) = (self.dim, normalizeVariance)
        guard dim > 0 else { return }
        Parallel.forEach(rows, workPerItem: dim * 4) { r in
            let output = y + r * dim, gradient = dy + r * dim, result = dx + r * dim
            var sumGradient: Float = 0, sumProduct: Float = 0
            for j in 0..<dim {
                sumGradient += gradient[j]
                sumProduct += output[j] * gradient[j]
            }
            let meanGradient = sumGradient / Float(dim)
            if normalize {
                let meanProduct = sumProduct / Float(dim), scale = 1 / deviations[r]
                for j in 0..<dim { result[j] = (gradient[j] - meanGradient - output[j] * meanProduct) * scale }
            } else {
                for j in 0..<dim { result[j] = gradient[j] - meanGradient }
            }
        }
    }
}
