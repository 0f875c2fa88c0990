import CaffeProto

/// Transposed 2-D convolution over NCHW blobs, Caffe's "Deconvolution" (FCN's upsampling).
///
/// bottom: N × C × H × W  →  top: N × num_output × H' × W', with
/// H' = stride·(H − 1) − 2·pad + dilation·(kernel − 1) + 1 (no rounding: the inverse
/// of Convolution's size rule). weights: C × (num_output/group) × kernel_h × kernel_w
/// (Caffe's layout: the first axis is the bottom's channels); bias: num_output.
/// Several bottom/top pairs of the same shape may share one set of weights.
///
/// It is the convolution whose input is this layer's top, run backwards: per image and
/// group, col_g[(Cout/g·kh·kw) × (H·W)] = W_gᵀ · x_g, then col2im into the top (each
/// input pixel adds its weighted kernel into the output window it maps to), then the
/// bias. Backward: bias diff += top diff summed over positions; col = im2col(top diff);
/// W_g diff += x_g · col_gᵀ; bottom diff_g = W_g · col_g (the convolution's forward).
/// Cannot run in place. Parameters, shapes and buffers: `BaseConvolutionLayer`; the
/// products: `ConvolutionGEMM`, the same as Convolution's.
public final class DeconvolutionLayer: BaseConvolutionLayer {
    override class var isTransposed: Bool { true }

    /// The top's extent along one axis (Caffe's DeconvolutionLayer::compute_output_shape).
    static func outputSize(input: Int, kernelExtent: Int, stride: Int, pad: Int) -> Int {
        stride * (input - 1) + kernelExtent - 2 * pad
    }

    override func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let g = geometry
        return (Self.outputSize(input: height, kernelExtent: g.effectiveKernelH, stride: g.strideH, pad: g.padH),
                Self.outputSize(input: width, kernelExtent: g.effectiveKernelW, stride: g.strideW, pad: g.padW))
    }

    override func checkBottom(_ blob: Blob) throws {
        try super.checkBottom(blob)
        let g = geometry
        let (h, w) = outputSize(height: blob.dim(2), width: blob.dim(3))
        guard blob.dim(2) > 0, blob.dim(3) > 0, h > 0, w > 0 else {
            throw SwiftCaffeError.invalid("convolution_param.pad",
                "the padding \(g.padH)x\(g.padW) removes the whole output (\(h)x\(w)) of a "
                + "\(blob.dim(2))x\(blob.dim(3)) input", hint: "the input has shape \(blob.shapeString); lower pad")
        }
    }

    // MARK: Compute

    /// The GEMMs of the convolution whose input is the top: M = C/g (this bottom's
    /// channels), K = Cout/g·kh·kw, N = H·W (this bottom's positions).
    private var gemm: ConvolutionGEMM {
        ConvolutionGEMM(group: group, outPerGroup: inputChannels / group,
                        kernelDim: numOutput / group * geometry.kernelH * geometry.kernelW,
                        plane: inputHeight * inputWidth)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let s = gemm
        let inputImage = inputChannels * inputHeight * inputWidth
        let outputPlane = outputHeight * outputWidth, outputImage = numOutput * outputPlane
        let weights = UnsafePointer(blobs[0].data)  // C × (Cout/g) × kh × kw
        let bias = biasTerm ? UnsafePointer(blobs[1].data) : nil
        let ones = biasTerm ? UnsafePointer(biasMultiplier.data) : nil
        for i in 0..<bottom.count {  // index loops: no generic iterators in the hot path
            let input = bottom[i], output = top[i]
            let num = input.dim(0)
            guard num > 0, s.outPerGroup > 0 else { output.fillData(0); continue }
            let x = UnsafePointer(input.data)   // N × C × H × W
            let y = output.data                 // N × Cout × H' × W'
            for n in 0..<num {
                let out = y + n * outputImage
                if geometry.isPointwise {
                    s.columns(weights: weights, output: x + n * inputImage, into: out)
                } else {
                    let col = columns.data
                    s.columns(weights: weights, output: x + n * inputImage, into: col)
                    out.update(repeating: 0, count: outputImage)  // col2im adds into it
                    Im2col.col2im(col, channels: numOutput, height: outputHeight, width: outputWidth,
                                  geometry: geometry, image: out)
                }
                if let bias, let ones {
                    ConvolutionGEMM.addBias(bias, ones: ones, channels: numOutput, positions: outputPlane, to: out)
                }
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let s = gemm
        let inputImage = inputChannels * inputHeight * inputWidth
        let outputPlane = outputHeight * outputWidth, outputImage = numOutput * outputPlane
        let weights = UnsafePointer(blobs[0].data)
        let weightGrad = paramPropagateDown.count > 0 && paramPropagateDown[0]
        let biasGrad = biasTerm && paramPropagateDown.count > 1 && paramPropagateDown[1]
        for i in 0..<bottom.count {
            let output = top[i], input = bottom[i]
            let num = input.dim(0)
            let down = i < propagateDown.count && propagateDown[i]
            guard num > 0 else { continue }
            let dy = UnsafePointer(output.diff)  // N × Cout × H' × W'
            if biasGrad {
                let biasDiff = blobs[1].diff, ones = UnsafePointer(biasMultiplier.data)
                for n in 0..<num {
                    ConvolutionGEMM.accumulateBiasGradient(dy + n * outputImage, ones: ones, channels: numOutput,
                                                           positions: outputPlane, into: biasDiff)
                }
            }
            guard weightGrad || down else { continue }
            if s.outPerGroup == 0 || s.kernelDim == 0 {
                if down { input.fillDiff(0) }
                continue
            }
            let x = UnsafePointer(input.data)
            let dx = input.diff
            for n in 0..<num {
                // The top diff as columns (C_out·kh·kw) × (H·W): im2col, as the convolution's input.
                let topDiff = dy + n * outputImage
                let col: UnsafePointer<Float>
                if geometry.isPointwise {
                    col = topDiff
                } else {
                    Im2col.im2col(topDiff, channels: numOutput, height: outputHeight, width: outputWidth,
                                  geometry: geometry, columns: columns.data)
                    col = UnsafePointer(columns.data)
                }
                if weightGrad {
                    // W_g diff[(C/g) × K] += x_g[(C/g) × HW] · col_gᵀ[HW × K]
                    s.accumulateWeightGradient(output: x + n * inputImage, columns: col, into: blobs[0].diff)
                }
                if down {
                    // dx_g[(C/g) × HW] = W_g[(C/g) × K] · col_g[K × HW]
                    s.output(weights: weights, columns: col, into: dx + n * inputImage)
                }
            }
        }
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int {
        let perInput = (numOutput / group) * geometry.kernelH * geometry.kernelW
        return bottom.reduce(0) { $0 + $1.count * perInput }
    }
}
