import CaffeProto

/// Fully connected layer, Caffe's "InnerProduct".
///
/// bottom: M × K (axes from `axis` on are flattened into K)  →  top: M × num_output.
/// weights: num_output × K (K × num_output when `transpose`); bias: num_output.
///
/// Forward: top[M × N] = bottom[M × K] · Wᵀ (+ ones[M] · bias[N]ᵀ), with N = num_output.
/// Backward: W diff += top_diffᵀ · bottom (transpose: bottomᵀ · top_diff), bias diff +=
/// column sums of top_diff, bottom diff = top_diff · W (transpose: top_diff · Wᵀ).
/// Cannot run in place.
///
/// On the dnnl engine, in a TEST-phase net, the forward is oneDNN's
/// (`DNNLInnerProduct`, weights converted once per change); training stays on OpenBLAS.
public final class InnerProductLayer: Layer {
    public let numOutput: Int
    public let biasTerm: Bool
    public let transpose: Bool
    public private(set) var axis = 1
    /// Rows (M) and inputs per row (K) at the last reshape.
    public private(set) var rows = 0, inputs = 0

    private let weightFiller: Filler
    private let biasFiller: Filler?
    /// M ones, for the bias GEMM and its gradient.
    private let biasMultiplier = Blob(0)
    /// oneDNN's inference forward for the current shape (dnnl engine, TEST phase).
    private(set) var dnnl: DNNLInnerProduct?

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.innerProductParam
        numOutput = Int(p.numOutput)
        biasTerm = p.biasTerm
        transpose = p.transpose
        guard numOutput > 0 else {
            throw SwiftCaffeError.invalid("inner_product_param.num_output",
                "num_output must be positive (got \(p.numOutput))",
                hint: "set num_output to the number of outputs, e.g. 'num_output: 4096'")
        }
        // Absent fillers are Caffe's default FillerParameter: constant 0.
        weightFiller = try Filler(p.weightFiller, field: "inner_product_param.weight_filler")
        biasFiller = p.biasTerm ? try Filler(p.biasFiller, field: "inner_product_param.bias_filler") : nil
        try super.init(param: param)
    }

    public override func fillParameters() throws {
        try weightFiller.fill(blobs[0], random: random)
        if let biasFiller, blobs.count > 1 { try biasFiller.fill(blobs[1], random: random) }
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        axis = try canonicalAxis(param.innerProductParam.axis, numAxes: bottom[0].numAxes,
                                 field: "inner_product_param.axis")
        let k = bottom[0].count(from: axis)
        blobs = [try Blob(shape: transpose ? [k, numOutput] : [numOutput, k])]
        if biasTerm { blobs.append(try Blob(shape: [numOutput])) }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        let k = input.count(from: axis)
        let expected = transpose ? blobs[0].dim(0) : blobs[0].dim(1)
        guard k == expected else {
            throw shapeError("input has \(k) values per row (shape \(input.shapeString)) "
                             + "but the weights expect \(expected)")
        }
        guard top[0] !== input else {
            throw shapeError("InnerProduct cannot run in place (its top is also its bottom)",
                             hint: "give the top a name of its own")
        }
        rows = input.count(from: 0, to: axis)
        inputs = k
        try top[0].reshape(Array(input.shape[..<axis]) + [numOutput])
        if biasTerm {
            try biasMultiplier.reshape([rows])
            biasMultiplier.fillData(1)
        }
        let shape = InnerProductShape(rows: rows, inputs: k, outputs: numOutput, transpose: transpose, bias: biasTerm)
        dnnl = phase != .test ? nil
            : engineKernels(asksForReference: false, current: dnnl,
                            fits: { $0.shape == shape }) { rows > 0 && k > 0 ? try DNNLInnerProduct(shape) : nil }
    }

    public override var engineDescription: String { dnnl.map { "dnnl \($0.implementation)" } ?? "openblas" }
    public override var conversionNanoseconds: UInt64 { dnnl?.clock.nanoseconds ?? 0 }
    public override func resetConversionTime() { dnnl?.clock.reset() }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        // oneDNN writes the top itself (built only for M, K > 0).
        if let dnnl {
            return try dnnl.forward(input: bottom[0], weights: blobs[0], bias: biasTerm ? blobs[1] : nil, output: top[0])
        }
        let (m, n, k) = (rows, numOutput, inputs)
        let y = top[0].data                          // M × N
        guard m > 0 else { return }
        guard k > 0 else { y.update(repeating: 0, count: m * n); return addBias(y) }
        // y[M × N] = x[M × K] · op(W), op(W) = Wᵀ (W: N × K) or W (W: K × N when transpose)
        BLAS.gemm(transposeA: false, transposeB: !transpose, m: m, n: n, k: k, alpha: 1,
                  a: bottom[0].data, b: blobs[0].readOnlyData, beta: 0, c: y)
        addBias(y)
    }

    /// y[M × N] += ones[M] · bias[N]ᵀ
    private func addBias(_ y: UnsafeMutablePointer<Float>) {
        guard biasTerm else { return }
        BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: numOutput, k: 1, alpha: 1,
                  a: biasMultiplier.data, b: blobs[1].readOnlyData, beta: 1, c: y)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let (m, n, k) = (rows, numOutput, inputs)
        guard m > 0 else { return }
        let dy = UnsafePointer(top[0].diff)          // M × N
        let x = UnsafePointer(bottom[0].data)         // M × K
        if paramPropagateDown.count > 0, paramPropagateDown[0], k > 0 {
            if transpose {
                // W diff[K × N] += xᵀ[K × M] · dy[M × N]
                BLAS.gemm(transposeA: true, transposeB: false, m: k, n: n, k: m, alpha: 1,
                          a: x, b: dy, beta: 1, c: blobs[0].diff)
            } else {
                // W diff[N × K] += dyᵀ[N × M] · x[M × K]
                BLAS.gemm(transposeA: true, transposeB: false, m: n, n: k, k: m, alpha: 1,
                          a: dy, b: x, beta: 1, c: blobs[0].diff)
            }
        }
        if biasTerm, paramPropagateDown.count > 1, paramPropagateDown[1] {
            // bias diff[N] += dyᵀ[N × M] · ones[M]
            BLAS.gemv(transposeA: true, m: m, n: n, alpha: 1, a: dy, x: biasMultiplier.data,
                      beta: 1, y: blobs[1].diff)
        }
        if propagateDown.count > 0, propagateDown[0], k > 0 {
            // dx[M × K] = dy[M × N] · W[N × K]  (transpose: dy · Wᵀ, W: K × N)
            BLAS.gemm(transposeA: false, transposeB: transpose, m: m, n: k, k: n, alpha: 1,
                      a: dy, b: blobs[0].readOnlyData, beta: 0, c: bottom[0].diff)
        }
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int { rows * inputs * numOutput }
}
