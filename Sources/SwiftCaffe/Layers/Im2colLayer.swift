import CaffeProto

/// The column matrix a convolution multiplies its weights with, as a layer: Caffe's "Im2col".
///
/// bottom: N × C × H × W  →  top: N × (C·kh·kw) × H' × W', where H', W' are
/// Convolution's output sizes for the `convolution_param` geometry (kernel, stride,
/// pad, dilation; num_output and the fillers are not used). Channel (c·kh + i)·kw + j
/// of the top holds, at (y, x), the input at (c, y·stride_h − pad_h + i·dilation_h,
/// x·stride_w − pad_w + j·dilation_w), 0 in the padding. Backward: col2im, every top
/// diff added back onto the input position it was read from.
public final class Im2colLayer: Layer {
    public let geometry: ConvolutionGeometry
    public private(set) var outputHeight = 0, outputWidth = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.convolutionParam
        geometry = try ConvolutionGeometry(p)
        guard p.axis == 1 || p.axis == -3 else {
            throw SwiftCaffeError.invalid("convolution_param.axis", "only axis 1 (channels of an NCHW blob) is supported")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("Im2col cannot compute in place", hint: "give its top a new name")
        }
        guard input.numAxes == 4 else {
            throw shapeError("Im2col needs a 4-D N×C×H×W input, got \(input.shapeString)")
        }
        let g = geometry
        let (h, w) = (input.dim(2), input.dim(3))
        guard h + 2 * g.padH >= g.effectiveKernelH, w + 2 * g.padW >= g.effectiveKernelW else {
            throw SwiftCaffeError.invalid("convolution_param.kernel_size",
                "kernel \(g.effectiveKernelH)x\(g.effectiveKernelW) is larger than the padded input "
                + "\(h + 2 * g.padH)x\(w + 2 * g.padW)", hint: "the input has shape \(input.shapeString)")
        }
        (outputHeight, outputWidth) = g.outputSize(height: h, width: w)
        try top[0].reshape([input.dim(0), input.dim(1) * g.kernelH * g.kernelW, outputHeight, outputWidth])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        let (num, channels, height, width) = (input.dim(0), input.dim(1), input.dim(2), input.dim(3))
        let inputImage = channels * height * width, outputImage = top[0].count(from: 1)
        let x = UnsafePointer(input.data), y = top[0].data
        for n in 0..<num {
            Im2col.im2col(x + n * inputImage, channels: channels, height: height, width: width,
                          geometry: geometry, columns: y + n * outputImage)
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let input = bottom[0]
        let (num, channels, height, width) = (input.dim(0), input.dim(1), input.dim(2), input.dim(3))
        let inputImage = channels * height * width, outputImage = top[0].count(from: 1)
        let dy = UnsafePointer(top[0].diff)
        input.fillDiff(0)  // col2im adds into it
        for n in 0..<num {
            Im2col.col2im(dy + n * outputImage, channels: channels, height: height, width: width,
                          geometry: geometry, image: input.diff + n * inputImage)
        }
    }
}
