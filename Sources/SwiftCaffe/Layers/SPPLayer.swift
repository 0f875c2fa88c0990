import CaffeProto

/// Spatial pyramid pooling, Caffe's "SPP": a fixed-length vector from an input of any size.
///
/// bottom: N × C × H × W. Level l (0 ≤ l < pyramid_height) pools the whole image into
/// 2^l × 2^l bins with Caffe's Pooling (MAX or AVE, CEIL rounding): kernel
/// k = ⌈H / 2^l⌉, stride k, pad ⌊(k·2^l − H + 1) / 2⌋ (and the same along W). Every
/// level is flattened to N × (C·4^l) and the levels are concatenated:
/// top N × C·Σ 4^l. With pyramid_height 1, as in Caffe, the top is the pooled
/// N × C × 1 × 1 blob itself. Backward: each level's gradient is summed into the bottom.
///
/// Built, as Caffe builds it, from the Pooling, Flatten and Concat layers. Caffe also
/// splits the bottom first; here every level reads the bottom directly and backward
/// sums their gradients (Pooling's backward reads only the bottom's shape and its
/// own argmax, never the bottom's values).
public final class SPPLayer: Layer {
    public let pyramidHeight: Int
    public let method: Caffe_PoolingParameter.PoolMethod

    /// One per level; rebuilt when the bottom's height or width changes.
    private var pooling: [PoolingLayer] = []
    private var flatten: [FlattenLayer] = []
    private let concat: ConcatLayer
    /// Per level: the pooled blob and the flattened one, as the arrays the inner layers take.
    private var pooledTops: [[Blob]] = []
    private var flatTops: [[Blob]] = []
    private var flatOutputs: [Blob] = []
    /// The bottom's shape for levels after the first: their gradient, summed into the bottom's.
    private let levelGradient = Blob(0)
    private var levelGradientArray: [Blob] = []
    private var allTrue: [Bool] = []
    private var pooledSize: (height: Int, width: Int) = (-1, -1)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.sppParam
        pyramidHeight = Int(p.pyramidHeight)
        guard pyramidHeight > 0 else {
            throw SwiftCaffeError.invalid("spp_param.pyramid_height",
                "pyramid_height must be at least 1 (got \(p.pyramidHeight))",
                hint: "add e.g. 'pyramid_height: 3' (levels of 1×1, 2×2 and 4×4 bins)")
        }
        // 2^l bins per axis must stay a sane integer.
        guard pyramidHeight <= 16 else {
            throw SwiftCaffeError.invalid("spp_param.pyramid_height",
                "pyramid_height \(pyramidHeight) asks for 2^\(pyramidHeight - 1) bins per axis",
                hint: "real pyramids have 2 to 4 levels")
        }
        switch p.pool {
        case .max: method = .max
        case .ave: method = .ave
        case .stochastic:
            throw SwiftCaffeError.invalid("spp_param.pool",
                "STOCHASTIC pooling is not implemented on the CPU (Caffe's CPU code has none either)",
                hint: "use 'pool: MAX' or 'pool: AVE'")
        }
        try SwiftCaffeError.rejectCUDNN(p.hasEngine && p.engine == .cudnn, field: "spp_param.engine")
        concat = try ConcatLayer(param: Caffe_LayerParameter())
        try super.init(param: param)
        allTrue = [Bool](repeating: true, count: pyramidHeight)
        levelGradientArray = [levelGradient]
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    /// Kernel, stride (= kernel) and pad of one level along an axis of `size` (Caffe's
    /// SPPLayer::GetPoolingParam): the 2^level windows cover the whole axis.
    static func window(size: Int, level: Int) -> (kernel: Int, pad: Int) {
        let bins = 1 << level
        let kernel = (size + bins - 1) / bins
        let remainder = kernel * bins - size
        return (kernel, (remainder + 1) / 2)
    }

    /// The Pooling layer definition of one level.
    private func poolingParameter(level: Int, height: Int, width: Int) throws -> Caffe_LayerParameter {
        let (kernelH, padH) = Self.window(size: height, level: level)
        let (kernelW, padW) = Self.window(size: width, level: level)
        guard padH < kernelH, padW < kernelW else {
            throw shapeError("a \(height)x\(width) input is too small for \(1 << level)x\(1 << level) bins "
                             + "(level \(level) of pyramid_height \(pyramidHeight))",
                             hint: "lower spp_param.pyramid_height to at most \(level), or feed a larger input")
        }
        var p = Caffe_LayerParameter()
        p.type = "Pooling"
        p.poolingParam.pool = method
        (p.poolingParam.kernelH, p.poolingParam.kernelW) = (UInt32(kernelH), UInt32(kernelW))
        (p.poolingParam.strideH, p.poolingParam.strideW) = (UInt32(kernelH), UInt32(kernelW))
        (p.poolingParam.padH, p.poolingParam.padW) = (UInt32(padH), UInt32(padW))
        return p
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("SPP cannot compute in place", hint: "give its top a new name")
        }
        guard input.numAxes == 4 else {
            throw shapeError("SPP needs a 4-D N×C×H×W input, got \(input.shapeString)")
        }
        let (height, width) = (input.dim(2), input.dim(3))
        guard height > 0, width > 0 else {
            throw shapeError("SPP needs an input of at least 1x1, got \(input.shapeString)")
        }
        if pyramidHeight == 1 {
            if pooledSize != (height, width) || pooling.isEmpty {
                pooling = [try PoolingLayer(param: try poolingParameter(level: 0, height: height, width: width))]
                pooledSize = (height, width)
                try pooling[0].setUp(bottom: bottom, top: top)
            } else {
                try pooling[0].reshape(bottom: bottom, top: top)
            }
            return
        }
        if pooledSize != (height, width) || pooling.isEmpty {
            // New windows: new Pooling layers (their window is fixed at init, as in Caffe).
            var layers: [PoolingLayer] = []
            for level in 0..<pyramidHeight {
                layers.append(try PoolingLayer(param: try poolingParameter(level: level, height: height, width: width)))
            }
            pooling = layers
            pooledTops = (0..<pyramidHeight).map { _ in [Blob(0)] }
            flatTops = (0..<pyramidHeight).map { _ in [Blob(0)] }
            flatOutputs = flatTops.map { $0[0] }
            flatten = try (0..<pyramidHeight).map { _ in try FlattenLayer(param: Caffe_LayerParameter()) }
            for level in 0..<pyramidHeight {
                try pooling[level].setUp(bottom: bottom, top: pooledTops[level])
                try flatten[level].setUp(bottom: pooledTops[level], top: flatTops[level])
            }
            try concat.setUp(bottom: flatOutputs, top: top)
            pooledSize = (height, width)
        } else {
            for level in 0..<pyramidHeight {
                try pooling[level].reshape(bottom: bottom, top: pooledTops[level])
                try flatten[level].reshape(bottom: pooledTops[level], top: flatTops[level])
            }
            try concat.reshape(bottom: flatOutputs, top: top)
        }
        try levelGradient.reshape(input.shape)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        if pyramidHeight == 1 {
            try pooling[0].forward(bottom: bottom, top: top)
            return
        }
        for level in 0..<pyramidHeight {
            try pooling[level].forward(bottom: bottom, top: pooledTops[level])
            try flatten[level].forward(bottom: pooledTops[level], top: flatTops[level])
        }
        try concat.forward(bottom: flatOutputs, top: top)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        if pyramidHeight == 1 {
            try pooling[0].backward(top: top, propagateDown: propagateDown, bottom: bottom)
            return
        }
        try concat.backward(top: top, propagateDown: allTrue, bottom: flatOutputs)
        let dx = bottom[0].diff, extra = UnsafePointer(levelGradient.diff), n = bottom[0].count
        for level in 0..<pyramidHeight {
            try flatten[level].backward(top: flatTops[level], propagateDown: propagateDown, bottom: pooledTops[level])
            // The first level writes the bottom's diff; the others add theirs to it.
            let target = level == 0 ? bottom : levelGradientArray
            try pooling[level].backward(top: pooledTops[level], propagateDown: propagateDown, bottom: target)
            if level > 0 {
                Parallel.forRanges(n) { start, end in
                    for i in start..<end { dx[i] += extra[i] }
                }
            }
        }
    }
}
