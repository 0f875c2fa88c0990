import CaffeProto

/// Caffe's "Bias": adds a bias broadcast over the axes it does not cover.
///
/// bottom[0]: outer × B × inner, where B is the axes [axis, axis + num_axes) (num_axes
/// −1 = to the end; default axis 1, num_axes 1: one bias per channel).
/// The bias is a learned blob of shape B (`filler`, default constant 0), or bottom[1]
/// of shape B (then num_axes is bottom[1]'s rank; a scalar bottom[1] applies everywhere).
/// top = bottom[0] + bias, same shape; works in place.
/// Backward: bottom diff = top diff; bias diff = Σ over outer and inner of the top diff
/// (accumulated into the learned blob, overwritten in bottom[1]).
public final class BiasLayer: Layer {
    public private(set) var axis = 1
    private(set) var geometry = BroadcastGeometry()
    private let filler: Filler

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.biasParam
        guard p.numAxes >= -1 else {
            throw SwiftCaffeError.invalid("bias_param.num_axes",
                "num_axes must be ≥ 0, or -1 for all axes from 'axis' to the end (got \(p.numAxes))")
        }
        filler = try Filler(p.filler, field: "bias_param.filler")
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        guard bottom.count == 1 else { return }
        let shape = try BroadcastGeometry.parameterShape(of: bottom[0], axis: param.biasParam.axis,
                                                         numAxes: Int(param.biasParam.numAxes),
                                                         layer: self, section: "bias_param")
        blobs = [try Blob(shape: shape)]
    }

    public override func fillParameters() throws {
        for b in blobs { try filler.fill(b, random: random) }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let bias = bottom.count > 1 ? bottom[1] : blobs[0]
        geometry = try BroadcastGeometry(bottom[0], parameter: bias, axis: param.biasParam.axis,
                                         layer: self, section: "bias_param")
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let bias = bottom.count > 1 ? bottom[1] : blobs[0]
        if top[0] !== bottom[0] {
            FlattenLayer.copy(bottom[0].data, to: top[0].data, count: bottom[0].count)
        }
        geometry.addBias(bias.data, to: top[0].data)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        // Bias gradient first: in place, the bottom diff is the top diff.
        let learned = bottom.count == 1
        if learned ? (!paramPropagateDown.isEmpty && paramPropagateDown[0]) : propagateDown[1] {
            let bias = learned ? blobs[0] : bottom[1]
            geometry.accumulateBiasGradient(top[0].diff, into: bias.diff, overwrite: !learned)
        }
        if propagateDown[0], top[0] !== bottom[0] {
            FlattenLayer.copy(top[0].diff, to: bottom[0].diff, count: bottom[0].count)
        }
    }
}

/// How a parameter of shape P (a run of a blob's axes) broadcasts over the blob:
/// outer × P × inner. Shared by Bias and Scale.
struct BroadcastGeometry {
    var outer = 0, dim = 0, inner = 0

    init() {}

    /// Checks that `parameter`'s shape equals `blob`'s axes from `axis` on (axis 0 for a
    /// scalar parameter, as Caffe) and records the broadcast sizes.
    init(_ blob: Blob, parameter: Blob, axis: Int32, layer: Layer, section: String) throws {
        let start = parameter.numAxes == 0
            ? 0 : try layer.canonicalAxis(axis, numAxes: blob.numAxes, field: section + ".axis")
        guard blob.numAxes >= start + parameter.numAxes else {
            throw layer.shapeError("the \(section == "bias_param" ? "bias" : "scale") of shape "
                + "\(parameter.shapeString) extends past \(blob.shapeString) when applied from axis \(start)")
        }
        for i in 0..<parameter.numAxes where blob.dim(start + i) != parameter.dim(i) {
            throw layer.shapeError("shape mismatch: axis \(start + i) of \(blob.shapeString) is \(blob.dim(start + i)) "
                + "but the \(section == "bias_param" ? "bias" : "scale") (\(parameter.shapeString)) has \(parameter.dim(i))")
        }
        outer = blob.count(from: 0, to: start)
        dim = parameter.count
        inner = blob.count(from: start + parameter.numAxes)
    }

    /// The shape of a learned parameter covering `numAxes` axes of `blob` from `axis`.
    static func parameterShape(of blob: Blob, axis: Int32, numAxes: Int, layer: Layer,
                               section: String) throws -> [Int] {
        let start = try layer.canonicalAxis(axis, numAxes: blob.numAxes, field: section + ".axis")
        if numAxes >= 0, blob.numAxes < start + numAxes {
            throw SwiftCaffeError.invalid(section + ".num_axes",
                "axis \(start) + num_axes \(numAxes) goes past the \(blob.numAxes) axes of \(blob.shapeString)")
        }
        return Array(blob.shape[start..<(numAxes == -1 ? blob.numAxes : start + numAxes)])
    }

    /// y[o, d, i] += bias[d]
    func addBias(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>) {
        let (dim, inner) = (self.dim, self.inner)
        Parallel.forEach(outer * dim, workPerItem: inner) { row in
            let b = bias[row % dim], start = row * inner
            for i in start..<(start + inner) { y[i] += b }
        }
    }

    /// diff[d] (+)= Σ_{o, i} dy[o, d, i]
    func accumulateBiasGradient(_ dy: UnsafePointer<Float>, into diff: UnsafeMutablePointer<Float>,
                                overwrite: Bool) {
        if overwrite { diff.update(repeating: 0, count: dim) }
        for o in 0..<outer {
            for d in 0..<dim {
                let start = (o * dim + d) * inner
                var sum: Float = 0
                for i in start..<(start + inner) { sum += dy[i] }
                diff[d] += sum
            }
        }
    }
}
