import CaffeProto

/// Caffe's "Scale": multiplies by a scale broadcast over the axes it does not cover,
/// optionally adding a bias (`bias_term`), as after BatchNorm.
///
/// bottom[0]: outer × S × inner, where S is the axes [axis, axis + num_axes) (num_axes
/// −1 = to the end; default axis 1, num_axes 1: one scale per channel).
/// The scale is a learned blob of shape S (`filler`, default constant 1), or bottom[1]
/// of shape S (a scalar bottom[1] applies everywhere). The bias, with `bias_term`, is a
/// learned blob of the same shape (`bias_filler`, default constant 0).
/// top = bottom[0] · scale (+ bias), same shape; works in place (keeps a copy of the bottom).
/// blobs: [scale] (learned case only), then [bias] with bias_term.
/// Backward: bottom diff = scale · top diff; scale diff = Σ_{outer, inner} top diff · bottom
/// (accumulated into the learned blob, overwritten in bottom[1]); bias diff = Σ top diff.
public final class ScaleLayer: Layer {
    public let biasTerm: Bool
    private(set) var geometry = BroadcastGeometry()
    private(set) var biasGeometry = BroadcastGeometry()
    private let scaleFiller: Filler
    private let biasFiller: Filler
    /// In place: the bottom values before scaling, for the scale gradient.
    private let savedBottom = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.scaleParam
        guard p.numAxes >= -1 else {
            throw SwiftCaffeError.invalid("scale_param.num_axes",
                "num_axes must be ≥ 0, or -1 for all axes from 'axis' to the end (got \(p.numAxes))")
        }
        var unit = Caffe_FillerParameter()
        unit.type = "constant"
        unit.value = 1
        scaleFiller = try Filler(p.hasFiller ? p.filler : unit, field: "scale_param.filler")
        biasFiller = try Filler(p.biasFiller, field: "scale_param.bias_filler")
        biasTerm = p.biasTerm
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = param.scaleParam
        blobs = []
        if bottom.count == 1 {
            let shape = try BroadcastGeometry.parameterShape(of: bottom[0], axis: p.axis, numAxes: Int(p.numAxes),
                                                             layer: self, section: "scale_param")
            blobs.append(try Blob(shape: shape))
        }
        if biasTerm {
            let numAxes = bottom.count > 1 ? bottom[1].numAxes : Int(p.numAxes)
            let shape = try BroadcastGeometry.parameterShape(of: bottom[0], axis: p.axis, numAxes: numAxes,
                                                             layer: self, section: "scale_param")
            blobs.append(try Blob(shape: shape))
        }
    }

    public override func fillParameters() throws {
        for (k, b) in blobs.enumerated() {
            let isBias = biasTerm && k == blobs.count - 1
            try (isBias ? biasFiller : scaleFiller).fill(b, random: random)
        }
    }

    private func scaleBlob(_ bottom: [Blob]) -> Blob { bottom.count > 1 ? bottom[1] : blobs[0] }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = param.scaleParam
        geometry = try BroadcastGeometry(bottom[0], parameter: scaleBlob(bottom), axis: p.axis,
                                         layer: self, section: "scale_param")
        if biasTerm {
            biasGeometry = try BroadcastGeometry(bottom[0], parameter: blobs[blobs.count - 1], axis: p.axis,
                                                 layer: self, section: "bias_param")
        }
        if top[0] === bottom[0] {
            try savedBottom.reshape(like: bottom[0])
        } else {
            try savedBottom.reshape([0])
            try top[0].reshape(like: bottom[0])
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let inPlace = top[0] === bottom[0]
        if inPlace { FlattenLayer.copy(bottom[0].data, to: savedBottom.data, count: bottom[0].count) }
        let x = bottom[0].data, y = top[0].data, scale = scaleBlob(bottom).data
        let (dim, inner) = (geometry.dim, geometry.inner)
        Parallel.forEach(geometry.outer * dim, workPerItem: inner) { row in
            let factor = scale[row % dim], start = row * inner
            for i in start..<(start + inner) { y[i] = factor * x[i] }
        }
        if biasTerm { biasGeometry.addBias(blobs[blobs.count - 1].data, to: y) }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let dy = top[0].diff
        if biasTerm, paramPropagateDown.count == blobs.count, paramPropagateDown[blobs.count - 1] {
            biasGeometry.accumulateBiasGradient(dy, into: blobs[blobs.count - 1].diff, overwrite: false)
        }
        let learned = bottom.count == 1
        let scale = scaleBlob(bottom)
        let (outer, dim, inner) = (geometry.outer, geometry.dim, geometry.inner)
        if learned ? (!paramPropagateDown.isEmpty && paramPropagateDown[0]) : propagateDown[1] {
            let x = top[0] === bottom[0] ? savedBottom.data : bottom[0].data
            let diff = scale.diff
            if !learned { diff.update(repeating: 0, count: dim) }
            for o in 0..<outer {
                for d in 0..<dim {
                    let start = (o * dim + d) * inner
                    var sum: Float = 0
                    for i in start..<(start + inner) { sum += dy[i] * x[i] }
                    diff[d] += sum
                }
            }
        }
        if propagateDown[0] {
            let dx = bottom[0].diff, factors = scale.data
            Parallel.forEach(outer * dim, workPerItem: inner) { row in
                let factor = factors[row % dim], start = row * inner
                for i in start..<(start + inner) { dx[i] = factor * dy[i] }
            }
        }
    }
}
