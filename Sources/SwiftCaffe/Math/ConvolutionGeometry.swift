import CaffeProto

/// Kernel, stride, padding and dilation of a 2-D convolution, read from a
/// ConvolutionParameter with Caffe's rules: repeated `kernel_size`/`stride`/`pad`/
/// `dilation` hold one value for both axes or one per axis, and the `_h`/`_w`
/// forms override them (but may not be mixed with the repeated form).
public struct ConvolutionGeometry: Equatable {
    public var kernelH = 1, kernelW = 1
    public var strideH = 1, strideW = 1
    public var padH = 0, padW = 0
    public var dilationH = 1, dilationW = 1

    public init() {}

    public init(_ p: Caffe_ConvolutionParameter) throws {
        let prefix = "convolution_param."
        func pair(_ values: [UInt32], _ field: String, default value: Int,
                  h: (has: Bool, value: UInt32), w: (has: Bool, value: UInt32)) throws -> (Int, Int) {
            if h.has || w.has {
                guard h.has && w.has else {
                    throw SwiftCaffeError.invalid(prefix + field + (h.has ? "_w" : "_h"),
                        "\(field)_h and \(field)_w must be given together")
                }
                guard values.isEmpty else {
                    throw SwiftCaffeError.invalid(prefix + field,
                        "give either \(field) or \(field)_h/\(field)_w, not both")
                }
                return (Int(h.value), Int(w.value))
            }
            switch values.count {
            case 0: return (value, value)
            case 1: return (Int(values[0]), Int(values[0]))
            case 2: return (Int(values[0]), Int(values[1]))
            default:
                throw SwiftCaffeError.invalid(prefix + field,
                    "\(field) has \(values.count) values; a 2-D convolution takes 1 or 2")
            }
        }
        let hasKernel = !p.kernelSize.isEmpty || p.hasKernelH || p.hasKernelW
        guard hasKernel else {
            throw SwiftCaffeError.invalid(prefix + "kernel_size", "kernel_size is required",
                                       hint: "add 'kernel_size: 3' (or kernel_h and kernel_w) to convolution_param")
        }
        (kernelH, kernelW) = try pair(p.kernelSize, "kernel", default: 1,
                                      h: (p.hasKernelH, p.kernelH), w: (p.hasKernelW, p.kernelW))
        (strideH, strideW) = try pair(p.stride, "stride", default: 1,
                                      h: (p.hasStrideH, p.strideH), w: (p.hasStrideW, p.strideW))
        (padH, padW) = try pair(p.pad, "pad", default: 0,
                                h: (p.hasPadH, p.padH), w: (p.hasPadW, p.padW))
        (dilationH, dilationW) = try pair(p.dilation, "dilation", default: 1,
                                          h: (false, 0), w: (false, 0))
        guard kernelH > 0, kernelW > 0 else {
            throw SwiftCaffeError.invalid(prefix + "kernel_size", "kernel size must be positive (got \(kernelH)x\(kernelW))")
        }
        guard strideH > 0, strideW > 0 else {
            throw SwiftCaffeError.invalid(prefix + "stride", "stride must be positive (got \(strideH)x\(strideW))",
                                       hint: "a stride of 0 would never move the kernel; use 1")
        }
        guard dilationH > 0, dilationW > 0 else {
            throw SwiftCaffeError.invalid(prefix + "dilation", "dilation must be positive (got \(dilationH)x\(dilationW))")
        }
    }

    /// Extent of the dilated kernel.
    public var effectiveKernelH: Int { dilationH * (kernelH - 1) + 1 }
    public var effectiveKernelW: Int { dilationW * (kernelW - 1) + 1 }

    /// Caffe's convolution output size: rounds down.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padH - effectiveKernelH) / strideH + 1,
         (width + 2 * padW - effectiveKernelW) / strideW + 1)
    }

    /// True for the 1×1, stride 1, pad 0 case that needs no im2col.
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
}
