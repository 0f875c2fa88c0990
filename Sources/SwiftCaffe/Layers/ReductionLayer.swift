import CaffeProto

/// Caffe's "Reduction": reduces all axes from `axis` (default 0) on to one value,
/// with SUM (default), ASUM (Σ|x|), SUMSQ (Σx²) or MEAN, times `coeff` (default 1).
///
/// bottom: num × dim with num = count(0, axis), dim = count(axis); top: the bottom's
/// shape up to `axis` (a scalar for axis 0). Often the last layer of a loss
/// (give it loss_weight).
/// Backward, per row with g = coeff · top_diff (MEAN: coeff / dim): SUM and MEAN
/// dx = g, ASUM dx = g · sign(x), SUMSQ dx = 2g · x.
public final class ReductionLayer: Layer {
    public let operation: Caffe_ReductionParameter.ReductionOp
    public let coeff: Float
    public private(set) var axis = 0
    public private(set) var num = 0, dim = 0

    public required init(param: Caffe_LayerParameter) throws {
        operation = param.reductionParam.operation
        coeff = param.reductionParam.coeff
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    /// The factor of every row's reduction: coeff, over dim for MEAN (Caffe's coeff_).
    private var scale: Float { operation == .mean ? coeff / Float(max(dim, 1)) : coeff }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("Reduction cannot compute in place", hint: "give its top a new name")
        }
        axis = try canonicalAxis(param.reductionParam.axis, numAxes: input.numAxes, field: "reduction_param.axis")
        num = input.count(from: 0, to: axis)
        dim = input.count(from: axis)
        try top[0].reshape(Array(input.shape[..<axis]))
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (dim, scale, operation) = (self.dim, self.scale, self.operation)
        Parallel.forEach(num, workPerItem: dim) { i in
            let row = x + i * dim
            var sum: Float = 0
            switch operation {
            case .sum, .mean: for j in 0..<dim { sum += row[j] }
            case .asum: for j in 0..<dim { sum += abs(row[j]) }
            case .sumsq: for j in 0..<dim { sum += row[j] * row[j] }
            }
            y[i] = scale * sum
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, dx = bottom[0].diff, dy = top[0].diff
        let (dim, scale, operation) = (self.dim, self.scale, self.operation)
        Parallel.forEach(num, workPerItem: dim) { i in
            let g = scale * dy[i]
            let row = x + i * dim, out = dx + i * dim
            switch operation {
            case .sum, .mean: out.update(repeating: g, count: dim)
            case .asum: for j in 0..<dim { out[j] = row[j] > 0 ? g : (row[j] < 0 ? -g : 0) }
            case .sumsq: for j in 0..<dim { out[j] = 2 * g * row[j] }
            }
        }
    }
}
