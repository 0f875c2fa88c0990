import CaffeProto

/// 2-D convolution over NCHW blobs, Caffe's "Convolution".
///
/// bottom: N × C × H × W  →  top: N × num_output × H' × W', with
/// H' = ⌊(H + 2·pad − (dilation·(kernel−1)+1)) / stride⌋ + 1.
/// weights: num_output × (C/group) × kernel_h × kernel_w; bias: num_output.
/// Several bottom/top pairs of the same shape may share one set of weights.
///
/// Computed as Caffe does on the CPU: per image, im2col of the input into a column
/// buffer (C·kh·kw) × (H'·W') (skipped for 1×1, stride 1, pad 0), then per group one
/// GEMM  top_g[(Cout/g) × (H'·W')] = W_g[(Cout/g) × (C/g·kh·kw)] · col_g, and the bias
/// added by a rank-1 GEMM against a vector of ones. Backward: bias diff += top diff
/// summed over positions; W_g diff += top_diff_g · col_gᵀ; bottom diff =
/// col2im(W_gᵀ · top_diff_g). Cannot run in place.
public final class ConvolutionLayer: Layer {
    public let numOutput: Int
    public let group: Int
    public let biasTerm: Bool
    public let geometry: ConvolutionGeometry

    /// Shapes seen at the last reshape (per image).
    public private(set) var inputChannels = 0
    public private(set) var inputHeight = 0, inputWidth = 0
    public private(set) var outputHeight = 0, outputWidth = 0

    private let weightFiller: Filler
    private let biasFiller: Filler?
    /// im2col of one image: (C·kh·kw) × (H'·W'); reused by every image and pass.
    private let columns = Blob(0)
    /// H'·W' ones, for the bias GEMM and its gradient.
    private let biasMultiplier = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.convolutionParam
        numOutput = Int(p.numOutput)
        group = Int(p.group)
        biasTerm = p.biasTerm
        geometry = try ConvolutionGeometry(p)
        guard numOutput > 0 else {
            throw SwiftCaffeError.invalid("convolution_param.num_output", "num_output must be positive (got \(p.numOutput))",
                                          hint: "set num_output to the number of filters, e.g. 'num_output: 96'")
        }
        // Absent fillers are Caffe's default FillerParameter: constant 0.
        weightFiller = try Filler(p.weightFiller, field: "convolution_param.weight_filler")
        biasFiller = biasTerm ? try Filler(p.biasFiller, field: "convolution_param.bias_filler") : nil
        try super.init(param: param)
        guard group > 0 else {
            throw SwiftCaffeError.invalid("convolution_param.group", "group must be positive (got \(p.group))")
        }
        guard numOutput % group == 0 else {
            throw SwiftCaffeError.invalid("convolution_param.group",
                                          "group \(group) does not divide num_output \(numOutput)")
        }
        guard p.axis == 1 || p.axis == -3 else {
            throw SwiftCaffeError.invalid("convolution_param.axis", "only axis 1 (channels of an NCHW blob) is supported")
        }
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...Int.max }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }
    public override var needsEqualBottomTopCount: Bool { true }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try checkBottom(bottom[0])
        let channels = bottom[0].dim(1)
        blobs = [try Blob(shape: [numOutput, channels / group, geometry.kernelH, geometry.kernelW])]
        if biasTerm { blobs.append(try Blob(shape: [numOutput])) }
    }

    public override func fillParameters() throws {
        try weightFiller.fill(blobs[0], random: random)
        if let biasFiller, blobs.count > 1 { try biasFiller.fill(blobs[1], random: random) }
    }

    private func checkBottom(_ blob: Blob) throws {
        guard blob.numAxes == 4 else {
            throw shapeError("Convolution needs a 4-D N×C×H×W input, got \(blob.shapeString)")
        }
        let channels = blob.dim(1)
        guard channels % group == 0 else {
            throw SwiftCaffeError.invalid("convolution_param.group",
                                          "group \(group) does not divide the \(channels) input channels",
                                          hint: "the input has shape \(blob.shapeString)")
        }
        let (h, w) = (blob.dim(2), blob.dim(3))
        let g = geometry
        guard h + 2 * g.padH >= g.effectiveKernelH, w + 2 * g.padW >= g.effectiveKernelW else {
            throw SwiftCaffeError.invalid("convolution_param.kernel_size",
                "kernel \(g.effectiveKernelH)x\(g.effectiveKernelW) is larger than the padded input "
                + "\(h + 2 * g.padH)x\(w + 2 * g.padW)", hint: "the input has shape \(blob.shapeString)")
        }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let first = bottom[0]
        try checkBottom(first)
        for (i, other) in bottom.enumerated() where other.shape != first.shape {
            throw shapeError("all bottoms must have the same shape: bottom 0 is \(first.shapeString), "
                             + "bottom \(i) is \(other.shapeString)")
        }
        guard first.dim(1) / group == blobs[0].dim(1) else {
            throw shapeError("input has \(first.dim(1)) channels but the weights expect \(blobs[0].dim(1) * group)")
        }
        inputChannels = first.dim(1)
        (inputHeight, inputWidth) = (first.dim(2), first.dim(3))
        (outputHeight, outputWidth) = geometry.outputSize(height: inputHeight, width: inputWidth)
        for t in top where bottom.contains(where: { $0 === t }) {
            throw shapeError("Convolution cannot run in place (its top is also its bottom)",
                             hint: "give the top a name of its own")
        }
        for t in top {
            try t.reshape([first.dim(0), numOutput, outputHeight, outputWidth])
        }
        let plane = outputHeight * outputWidth
        if !geometry.isPointwise {
            try columns.reshape([inputChannels * geometry.kernelH * geometry.kernelW, plane])
        }
        if biasTerm {
            try biasMultiplier.reshape([plane])
            biasMultiplier.fillData(1)
        }
    }

    // MARK: Compute

    /// Sizes of the per-group GEMMs at the current shapes.
    private struct Sizes {
        var outPerGroup: Int     // M: Cout/g
        var kernelDim: Int       // K: C/g·kh·kw
        var plane: Int           // N: H'·W'
        var inputImage: Int      // C·H·W
        var outputImage: Int     // Cout·H'·W'
        var weightOffset: Int { outPerGroup * kernelDim }
        var columnOffset: Int { kernelDim * plane }
        var outputOffset: Int { outPerGroup * plane }
    }

    private var sizes: Sizes {
        let plane = outputHeight * outputWidth
        return Sizes(outPerGroup: numOutput / group,
                     kernelDim: inputChannels / group * geometry.kernelH * geometry.kernelW,
                     plane: plane, inputImage: inputChannels * inputHeight * inputWidth,
                     outputImage: numOutput * plane)
    }

    /// The column matrix of `image` (C × H × W): the image itself when pointwise.
    @inline(__always)
    private func columnsOf(_ image: UnsafePointer<Float>) -> UnsafePointer<Float> {
        if geometry.isPointwise { return image }
        let col = columns.data
        Im2col.im2col(image, channels: inputChannels, height: inputHeight, width: inputWidth,
                      geometry: geometry, columns: col)
        return UnsafePointer(col)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let s = sizes
        let weights = UnsafePointer(blobs[0].data)  // Cout × (C/g) × kh × kw
        let bias = biasTerm ? UnsafePointer(blobs[1].data) : nil
        let ones = biasTerm ? UnsafePointer(biasMultiplier.data) : nil
        for i in 0..<bottom.count {  // index loops: no generic iterators in the hot path
            let input = bottom[i], output = top[i]
            let num = input.dim(0)
            guard num > 0, s.kernelDim > 0 else { output.fillData(0); continue }
            let x = UnsafePointer(input.data)   // N × C × H × W
            let y = output.data                 // N × Cout × H' × W'
            for n in 0..<num {
                let col = columnsOf(x + n * s.inputImage)
                let out = y + n * s.outputImage
                for g in 0..<group {
                    BLAS.gemm(transposeA: false, transposeB: false, m: s.outPerGroup, n: s.plane, k: s.kernelDim,
                              alpha: 1, a: weights + g * s.weightOffset, b: col + g * s.columnOffset,
                              beta: 0, c: out + g * s.outputOffset)
                }
                if let bias, let ones {
                    // out[Cout × H'W'] += bias[Cout × 1] · ones[1 × H'W']
                    BLAS.gemm(transposeA: false, transposeB: false, m: numOutput, n: s.plane, k: 1,
                              alpha: 1, a: bias, b: ones, beta: 1, c: out)
                }
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let s = sizes
        let weights = UnsafePointer(blobs[0].data)
        let weightGrad = paramPropagateDown.count > 0 && paramPropagateDown[0]
        let biasGrad = biasTerm && paramPropagateDown.count > 1 && paramPropagateDown[1]
        for i in 0..<bottom.count {
            let output = top[i], input = bottom[i]
            let num = input.dim(0)
            let down = i < propagateDown.count && propagateDown[i]
            if down && !geometry.isPointwise { input.fillDiff(0) }  // col2im adds into it
            guard num > 0, s.kernelDim > 0 else { continue }
            let dy = UnsafePointer(output.diff)  // N × Cout × H' × W'
            if biasGrad {
                // bias diff[Cout] += dy_n[Cout × H'W'] · ones[H'W']
                let biasDiff = blobs[1].diff, ones = UnsafePointer(biasMultiplier.data)
                for n in 0..<num {
                    BLAS.gemv(transposeA: false, m: numOutput, n: s.plane, alpha: 1, a: dy + n * s.outputImage,
                              x: ones, beta: 1, y: biasDiff)
                }
            }
            guard weightGrad || down else { continue }
            let x = UnsafePointer(input.data)
            let dx = input.diff
            for n in 0..<num {
                let topDiff = dy + n * s.outputImage
                if weightGrad {
                    // W_g diff[(Cout/g) × K] += dy_g[(Cout/g) × H'W'] · col_gᵀ[H'W' × K]
                    let col = columnsOf(x + n * s.inputImage)
                    let weightDiff = blobs[0].diff
                    for g in 0..<group {
                        BLAS.gemm(transposeA: false, transposeB: true, m: s.outPerGroup, n: s.kernelDim,
                                  k: s.plane, alpha: 1, a: topDiff + g * s.outputOffset,
                                  b: col + g * s.columnOffset, beta: 1, c: weightDiff + g * s.weightOffset)
                    }
                }
                if down {
                    // col_g[K × H'W'] = W_gᵀ[K × (Cout/g)] · dy_g[(Cout/g) × H'W'], then col2im.
                    let image = dx + n * s.inputImage
                    let target = geometry.isPointwise ? image : columns.data
                    for g in 0..<group {
                        BLAS.gemm(transposeA: true, transposeB: false, m: s.kernelDim, n: s.plane,
                                  k: s.outPerGroup, alpha: 1, a: weights + g * s.weightOffset,
                                  b: topDiff + g * s.outputOffset, beta: 0, c: target + g * s.columnOffset)
                    }
                    if !geometry.isPointwise {
                        Im2col.col2im(target, channels: inputChannels, height: inputHeight, width: inputWidth,
                                      geometry: geometry, image: image)
                    }
                }
            }
        }
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int {
        let perOutput = (inputChannels / group) * geometry.kernelH * geometry.kernelW
        return top.reduce(0) { $0 + $1.count * perOutput }
    }
}
