import CaffeProto

/// MAX / AVE pooling over NCHW blobs, Caffe's "Pooling".
///
/// bottom: N × C × H × W  →  top: N × C × H' × W' with Caffe's rounding:
/// H' = ⌈(H + 2·pad − kernel) / stride⌉ + 1 (CEIL, the default) or ⌊…⌋ + 1 (FLOOR);
/// with padding, a last window starting at or past H + pad is dropped.
/// An optional second top (MAX only) receives the argmax mask.
public final class PoolingLayer: Layer {
    public let method: Caffe_PoolingParameter.PoolMethod
    public let globalPooling: Bool
    public let roundMode: Caffe_PoolingParameter.RoundMode
    public private(set) var kernelH = 0, kernelW = 0
    public let strideH: Int, strideW: Int
    public let padH: Int, padW: Int
    public private(set) var outputHeight = 0, outputWidth = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.poolingParam
        let field = "pooling_param."
        method = p.pool
        globalPooling = p.globalPooling
        roundMode = p.roundMode
        if globalPooling {
            guard !p.hasKernelSize, !p.hasKernelH, !p.hasKernelW else {
                throw SwiftCaffeError.invalid(field + "kernel_size",
                    "global_pooling takes the whole input as its window; remove kernel_size")
            }
        } else if p.hasKernelH || p.hasKernelW {
            guard p.hasKernelH, p.hasKernelW, !p.hasKernelSize else {
                throw SwiftCaffeError.invalid(field + "kernel_h",
                    "give either kernel_size or both kernel_h and kernel_w")
            }
            kernelH = Int(p.kernelH); kernelW = Int(p.kernelW)
        } else {
            guard p.hasKernelSize else {
                throw SwiftCaffeError.invalid(field + "kernel_size", "kernel_size is required",
                    hint: "add 'kernel_size: 3' to pooling_param, or 'global_pooling: true'")
            }
            kernelH = Int(p.kernelSize); kernelW = kernelH
        }
        if p.hasPadH || p.hasPadW {
            guard p.hasPadH, p.hasPadW, !p.hasPad else {
                throw SwiftCaffeError.invalid(field + "pad_h", "give either pad or both pad_h and pad_w")
            }
            padH = Int(p.padH); padW = Int(p.padW)
        } else {
            padH = Int(p.pad); padW = padH
        }
        if p.hasStrideH || p.hasStrideW {
            guard p.hasStrideH, p.hasStrideW, !p.hasStride else {
                throw SwiftCaffeError.invalid(field + "stride_h", "give either stride or both stride_h and stride_w")
            }
            strideH = Int(p.strideH); strideW = Int(p.strideW)
        } else {
            strideH = Int(p.stride); strideW = strideH
        }
        guard strideH > 0, strideW > 0 else {
            throw SwiftCaffeError.invalid(field + "stride", "stride must be positive (got \(strideH)x\(strideW))")
        }
        if !globalPooling {
            guard kernelH > 0, kernelW > 0 else {
                throw SwiftCaffeError.invalid(field + "kernel_size", "kernel size must be positive")
            }
            guard padH < kernelH, padW < kernelW else {
                throw SwiftCaffeError.invalid(field + "pad",
                    "pad \(padH)x\(padW) must be smaller than the kernel \(kernelH)x\(kernelW)")
            }
        } else {
            guard padH == 0, padW == 0, strideH == 1, strideW == 1 else {
                throw SwiftCaffeError.invalid(field + "global_pooling",
                                              "global pooling takes no pad and stride 1")
            }
        }
        if p.hasEngine, p.engine == .cudnn {
            throw SwiftCaffeError.invalid(field + "engine", "the CUDNN engine is not available on the CPU")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { method == .max ? 1...2 : 1...1 }

    /// Output extent along one axis, Caffe's rule.
    static func outputSize(input: Int, kernel: Int, pad: Int, stride: Int,
                           roundMode: Caffe_PoolingParameter.RoundMode) -> Int {
        let span = input + 2 * pad - kernel
        var size: Int
        switch roundMode {
        case .ceil: size = (span + stride - 1) / stride + 1
        case .floor: size = span / stride + 1
        }
        // The last window must start inside the image (or its left/top padding).
        if pad > 0, (size - 1) * stride >= input + pad { size -= 1 }
        return size
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard input.numAxes == 4 else {
            throw shapeError("Pooling needs a 4-D N×C×H×W input, got \(input.shapeString)")
        }
        let (h, w) = (input.dim(2), input.dim(3))
        if globalPooling { (kernelH, kernelW) = (h, w) }
        guard h + 2 * padH >= kernelH, w + 2 * padW >= kernelW else {
            throw parameterError("pooling_param.kernel_size",
                "kernel \(kernelH)x\(kernelW) is larger than the padded input \(h + 2 * padH)x\(w + 2 * padW)",
                hint: "the input has shape \(input.shapeString)")
        }
        outputHeight = Self.outputSize(input: h, kernel: kernelH, pad: padH, stride: strideH, roundMode: roundMode)
        outputWidth = Self.outputSize(input: w, kernel: kernelW, pad: padW, stride: strideW, roundMode: roundMode)
        for t in top {
            try t.reshape([input.dim(0), input.dim(1), outputHeight, outputWidth])
        }
    }
}
