import CaffeProto

/// 2-D convolution over NCHW blobs, Caffe's "Convolution".
///
/// bottom: N × C × H × W  →  top: N × num_output × H' × W', with
/// H' = ⌊(H + 2·pad − (dilation·(kernel−1)+1)) / stride⌋ + 1.
/// weights: num_output × (C/group) × kernel_h × kernel_w; bias: num_output.
/// Several bottom/top pairs of the same shape may share one set of weights.
///
/// Computed with Caffe's im2col layout and weights, but several images per GEMM:
/// the columns of a chunk of B images are laid side by side, (C·kh·kw) × (B·H'·W'),
/// and per group one GEMM  out_g[(Cout/g) × (B·H'·W')] = W_g[(Cout/g) × (C/g·kh·kw)]
/// · col_g  serves them all (Caffe multiplies one image at a time, shapes such as
/// 50×500 by 500×64 that leave OpenBLAS far from its peak). The result is scattered
/// to the N × Cout × H' × W' top with the bias added. Backward, on the top gradient
/// gathered the same way: bias diff += its row sums; W_g diff += dy_g · col_gᵀ;
/// bottom diff = col2im(W_gᵀ · dy_g). B is as large as a column buffer of
/// `columnBudget` floats allows; the buffers are per thread (`ThreadScratch`), not
/// per layer. 1×1 convolutions with stride 1 and no padding need no im2col: their
/// input is the column matrix, and they run image by image as in Caffe. Cannot run
/// in place.
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
    /// H'·W' ones, for the bias GEMM and its gradient (1×1 path).
    private let biasMultiplier = Blob(0)
    /// Floats of im2col columns one batched GEMM may use (4 MiB): enough for
    /// whole batches of small images, one image at a time for ImageNet's conv1.
    static let columnBudget = 1 << 20

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

    public override func setUp(bottom: [Blob], top: [Blob]) throws {
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
            throw parameterError("convolution_param.group",
                                 "group \(group) does not divide the \(channels) input channels",
                                 hint: "the input has shape \(blob.shapeString)")
        }
        let (h, w) = (blob.dim(2), blob.dim(3))
        let g = geometry
        guard h + 2 * g.padH >= g.effectiveKernelH, w + 2 * g.padW >= g.effectiveKernelW else {
            throw parameterError("convolution_param.kernel_size",
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

    /// Images per batched GEMM: as many as `columnBudget` floats of columns hold.
    private func imagesPerChunk(_ s: Sizes, num: Int) -> Int {
        max(1, min(num, Self.columnBudget / max(1, group * s.kernelDim * s.plane)))
    }

    /// im2col of images first..<first+count of `x` side by side into `columns`:
    /// row r of image j at columns + r·(count·H'W') + j·H'W'.
    private func unfold(_ x: UnsafePointer<Float>, first: Int, count: Int, _ s: Sizes,
                        into columns: UnsafeMutablePointer<Float>) {
        for j in 0..<count {
            Im2col.im2col(x + (first + j) * s.inputImage, channels: inputChannels, height: inputHeight,
                          width: inputWidth, geometry: geometry, columns: columns + j * s.plane,
                          rowStride: count * s.plane)
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let s = sizes
        let weights = UnsafePointer(blobs[0].data)  // Cout × (C/g) × kh × kw
        let bias = biasTerm ? UnsafePointer(blobs[1].data) : nil
        for i in 0..<bottom.count {  // index loops: no generic iterators in the hot path
            let input = bottom[i], output = top[i]
            let num = input.dim(0)
            guard num > 0, s.kernelDim > 0 else { output.fillData(0); continue }
            let x = UnsafePointer(input.data)   // N × C × H × W
            let y = output.data                 // N × Cout × H' × W'
            if geometry.isPointwise {
                forwardPointwise(x, y, num: num, s, weights: weights, bias: bias)
                continue
            }
            let chunk = imagesPerChunk(s, num: num)
            let scratch = ThreadScratch.current
            let columns = scratch.buffer(.columns, count: group * s.kernelDim * chunk * s.plane)
            let gathered = scratch.buffer(.gathered, count: numOutput * chunk * s.plane)
            var first = 0
            while first < num {
                let count = min(chunk, num - first), width = count * s.plane
                unfold(x, first: first, count: count, s, into: columns)  // (C·kh·kw) × width
                for g in 0..<group {
                    // gathered_g[(Cout/g) × width] = W_g[(Cout/g) × K] · col_g[K × width]
                    BLAS.gemm(transposeA: false, transposeB: false, m: s.outPerGroup, n: width, k: s.kernelDim,
                              alpha: 1, a: weights + g * s.weightOffset, b: columns + g * s.kernelDim * width,
                              beta: 0, c: gathered + g * s.outPerGroup * width)
                }
                // y[first + j][c][p] = gathered[c][j·H'W' + p] + bias[c]
                for j in 0..<count {
                    let image = y + (first + j) * s.outputImage
                    for c in 0..<numOutput {
                        let source = gathered + c * width + j * s.plane, target = image + c * s.plane
                        if let bias {
                            let b = bias[c]
                            for p in 0..<s.plane { target[p] = source[p] + b }
                        } else {
                            target.update(from: source, count: s.plane)
                        }
                    }
                }
                first += count
            }
        }
    }

    /// 1×1, stride 1, no padding: each image (C × H'W') is its own column matrix.
    private func forwardPointwise(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, num: Int, _ s: Sizes,
                                  weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?) {
        let ones = UnsafePointer(biasMultiplier.data)
        for n in 0..<num {
            let col = x + n * s.inputImage
            let out = y + n * s.outputImage
            for g in 0..<group {
                BLAS.gemm(transposeA: false, transposeB: false, m: s.outPerGroup, n: s.plane, k: s.kernelDim,
                          alpha: 1, a: weights + g * s.weightOffset, b: col + g * s.columnOffset,
                          beta: 0, c: out + g * s.outputOffset)
            }
            if let bias {
                // out[Cout × H'W'] += bias[Cout × 1] · ones[1 × H'W']
                BLAS.gemm(transposeA: false, transposeB: false, m: numOutput, n: s.plane, k: 1,
                          alpha: 1, a: bias, b: ones, beta: 1, c: out)
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
            guard num > 0, s.kernelDim > 0, weightGrad || biasGrad || down else { continue }
            let dy = UnsafePointer(output.diff)  // N × Cout × H' × W'
            let x = UnsafePointer(input.data)
            let dx = input.diff
            if geometry.isPointwise {
                backwardPointwise(dy: dy, x: x, dx: down ? dx : nil, num: num, s, weights: weights,
                                  weightGrad: weightGrad, biasGrad: biasGrad)
                continue
            }
            let chunk = imagesPerChunk(s, num: num)
            let scratch = ThreadScratch.current
            let columns = scratch.buffer(.columns, count: group * s.kernelDim * chunk * s.plane)
            let gathered = scratch.buffer(.gathered, count: numOutput * chunk * s.plane)
            let ones = scratch.buffer(.ones, count: chunk * s.plane)
            var first = 0
            while first < num {
                let count = min(chunk, num - first), width = count * s.plane
                // gathered[c][j·H'W' + p] = dy[first + j][c][p]: Cout × width
                for j in 0..<count {
                    for c in 0..<numOutput {
                        (gathered + c * width + j * s.plane)
                            .update(from: dy + (first + j) * s.outputImage + c * s.plane, count: s.plane)
                    }
                }
                if biasGrad {
                    // bias diff[Cout] += gathered[Cout × width] · ones[width]
                    BLAS.gemv(transposeA: false, m: numOutput, n: width, alpha: 1, a: gathered,
                              x: ones, beta: 1, y: blobs[1].diff)
                }
                if weightGrad {
                    // W_g diff[(Cout/g) × K] += dy_g[(Cout/g) × width] · col_gᵀ[width × K]
                    unfold(x, first: first, count: count, s, into: columns)
                    let weightDiff = blobs[0].diff
                    for g in 0..<group {
                        BLAS.gemm(transposeA: false, transposeB: true, m: s.outPerGroup, n: s.kernelDim,
                                  k: width, alpha: 1, a: gathered + g * s.outPerGroup * width,
                                  b: columns + g * s.kernelDim * width, beta: 1, c: weightDiff + g * s.weightOffset)
                    }
                }
                if down {
                    // col_g[K × width] = W_gᵀ[K × (Cout/g)] · dy_g[(Cout/g) × width], then col2im per image.
                    for g in 0..<group {
                        BLAS.gemm(transposeA: true, transposeB: false, m: s.kernelDim, n: width,
                                  k: s.outPerGroup, alpha: 1, a: weights + g * s.weightOffset,
                                  b: gathered + g * s.outPerGroup * width, beta: 0,
                                  c: columns + g * s.kernelDim * width)
                    }
                    for j in 0..<count {
                        Im2col.col2im(columns + j * s.plane, channels: inputChannels, height: inputHeight,
                                      width: inputWidth, geometry: geometry, image: dx + (first + j) * s.inputImage,
                                      rowStride: width)
                    }
                }
                first += count
            }
        }
    }

    /// Backward of the 1×1 path, image by image as Caffe does.
    private func backwardPointwise(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                   num: Int, _ s: Sizes, weights: UnsafePointer<Float>,
                                   weightGrad: Bool, biasGrad: Bool) {
        let ones = UnsafePointer(biasMultiplier.data)
        for n in 0..<num {
            let topDiff = dy + n * s.outputImage
            if biasGrad {
                BLAS.gemv(transposeA: false, m: numOutput, n: s.plane, alpha: 1, a: topDiff,
                          x: ones, beta: 1, y: blobs[1].diff)
            }
            if weightGrad {
                let col = x + n * s.inputImage
                let weightDiff = blobs[0].diff
                for g in 0..<group {
                    BLAS.gemm(transposeA: false, transposeB: true, m: s.outPerGroup, n: s.kernelDim,
                              k: s.plane, alpha: 1, a: topDiff + g * s.outputOffset,
                              b: col + g * s.columnOffset, beta: 1, c: weightDiff + g * s.weightOffset)
                }
            }
            if let dx {
                let image = dx + n * s.inputImage
                for g in 0..<group {
                    BLAS.gemm(transposeA: true, transposeB: false, m: s.kernelDim, n: s.plane,
                              k: s.outPerGroup, alpha: 1, a: weights + g * s.weightOffset,
                              b: topDiff + g * s.outputOffset, beta: 0, c: image + g * s.columnOffset)
                }
            }
        }
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int {
        let perOutput = (inputChannels / group) * geometry.kernelH * geometry.kernelW
        return top.reduce(0) { $0 + $1.count * perOutput }
    }
}
