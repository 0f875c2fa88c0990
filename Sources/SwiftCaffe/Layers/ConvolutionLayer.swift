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
/// col2im(W_gᵀ · top_diff_g). Cannot run in place. Parameters, shapes and buffers:
/// `BaseConvolutionLayer`; the products: `ConvolutionGEMM`.
///
/// On the dnnl engine the three passes are oneDNN's (`DNNLConvolution`), same results
/// to rounding; an in-place ReLU right after it may be fused into the forward (the
/// net's plan decides, Net/EnginePlan.swift).
public final class ConvolutionLayer: BaseConvolutionLayer {
    /// oneDNN's kernels for the current shape, when the layer runs on the dnnl engine.
    private var dnnl: DNNLConvolution?
    /// Set by the net's plan: the negative_slope of the in-place ReLU that follows,
    /// applied by oneDNN's forward as a post-op.
    private(set) var fusedReLUSlope: Float?

    /// Whether the forward applies the following ReLU (false on the reference engine).
    var appliesFusedReLU: Bool { dnnl?.shape.reluSlope != nil }

    /// Fuses the in-place ReLU that follows (y = max(x, 0) + slope · min(x, 0) on the
    /// output); takes effect on the dnnl engine only, see `appliesFusedReLU`.
    func fuseReLU(slope: Float, bottom: [Blob], top: [Blob]) throws {
        fusedReLUSlope = slope
        try reshape(bottom: bottom, top: top)
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        let g = geometry, input = bottom[0]
        let shape = ConvolutionShape(batch: input.dim(0), channels: inputChannels, height: inputHeight,
                                     width: inputWidth, outputs: numOutput, outputHeight: outputHeight,
                                     outputWidth: outputWidth, group: group, kernelH: g.kernelH, kernelW: g.kernelW,
                                     strideH: g.strideH, strideW: g.strideW, padH: g.padH, padW: g.padW,
                                     dilationH: g.dilationH, dilationW: g.dilationW, bias: biasTerm,
                                     reluSlope: fusedReLUSlope)
        dnnl = engineKernels(asksForReference: param.convolutionParam.engine == .caffe, current: dnnl,
                             fits: { $0.shape == shape }) { shape.batch > 0 ? try DNNLConvolution(shape) : nil }
    }

    public override var engineDescription: String {
        dnnl.map { "dnnl \($0.implementations)" + ($0.shape.reluSlope != nil ? " + relu" : "") } ?? "openblas"
    }
    public override var conversionNanoseconds: UInt64 { dnnl?.clock.nanoseconds ?? 0 }
    public override func resetConversionTime() { dnnl?.clock.reset() }

    override func checkBottom(_ blob: Blob) throws {
        try super.checkBottom(blob)
        let (h, w) = (blob.dim(2), blob.dim(3))
        let g = geometry
        guard h + 2 * g.padH >= g.effectiveKernelH, w + 2 * g.padW >= g.effectiveKernelW else {
            throw SwiftCaffeError.invalid("convolution_param.kernel_size",
                "kernel \(g.effectiveKernelH)x\(g.effectiveKernelW) is larger than the padded input "
                + "\(h + 2 * g.padH)x\(w + 2 * g.padW)", hint: "the input has shape \(blob.shapeString)")
        }
    }

    // MARK: Compute

    /// Sizes of the per-group GEMMs at the current shapes, and of one image.
    private struct Sizes {
        var gemm: ConvolutionGEMM  // M: Cout/g, K: C/g·kh·kw, N: H'·W'
        var inputImage: Int        // C·H·W
        var outputImage: Int       // Cout·H'·W'
        var kernelDim: Int { gemm.kernelDim }
        var plane: Int { gemm.plane }
    }

    private var sizes: Sizes {
        let plane = outputHeight * outputWidth
        let gemm = ConvolutionGEMM(group: group, outPerGroup: numOutput / group,
                                   kernelDim: inputChannels / group * geometry.kernelH * geometry.kernelW,
                                   plane: plane)
        return Sizes(gemm: gemm, inputImage: inputChannels * inputHeight * inputWidth,
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
        if let dnnl {
            for i in 0..<bottom.count {
                try dnnl.forward(input: bottom[i], weights: blobs[0], bias: biasTerm ? blobs[1] : nil, output: top[i],
                                 exclusive: bottom.count == 1)
            }
            return
        }
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
                s.gemm.output(weights: weights, columns: col, into: out)
                if let bias, let ones {
                    ConvolutionGEMM.addBias(bias, ones: ones, channels: numOutput, positions: s.plane, to: out)
                }
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let weightGrad = paramPropagateDown.count > 0 && paramPropagateDown[0]
        let biasGrad = biasTerm && paramPropagateDown.count > 1 && paramPropagateDown[1]
        if let dnnl {
            for i in 0..<bottom.count {
                try dnnl.backward(output: top[i], input: bottom[i], weights: blobs[0], bias: biasTerm ? blobs[1] : nil,
                                  data: i < propagateDown.count && propagateDown[i], weightGradient: weightGrad,
                                  biasGradient: biasGrad, exclusive: bottom.count == 1)
            }
            return
        }
        let s = sizes
        let weights = UnsafePointer(blobs[0].data)
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
                    ConvolutionGEMM.accumulateBiasGradient(dy + n * s.outputImage, ones: ones, channels: numOutput,
                                                           positions: s.plane, into: biasDiff)
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
                    s.gemm.accumulateWeightGradient(output: topDiff, columns: col, into: blobs[0].diff)
                }
                if down {
                    // col_g[K × H'W'] = W_gᵀ[K × (Cout/g)] · dy_g[(Cout/g) × H'W'], then col2im.
                    let image = dx + n * s.inputImage
                    let target = geometry.isPointwise ? image : columns.data
                    s.gemm.columns(weights: weights, output: topDiff, into: target)
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
