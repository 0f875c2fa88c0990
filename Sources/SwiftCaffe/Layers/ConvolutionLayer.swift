import CaffeProto

/// 2-D convolution over NCHW blobs, Caffe's "Convolution".
///
/// bottom: N × C × H × W  →  top: N × num_output × H' × W', with
/// H' = ⌊(H + 2·pad − (dilation·(kernel−1)+1)) / stride⌋ + 1.
/// weights: num_output × (C/group) × kernel_h × kernel_w; bias: num_output.
/// Several bottom/top pairs of the same shape may share one set of weights.
public final class ConvolutionLayer: Layer {
    public let numOutput: Int
    public let group: Int
    public let biasTerm: Bool
    public let geometry: ConvolutionGeometry

    /// Shapes seen at the last reshape (per image).
    public private(set) var inputChannels = 0
    public private(set) var inputHeight = 0, inputWidth = 0
    public private(set) var outputHeight = 0, outputWidth = 0

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
        for t in top {
            try t.reshape([first.dim(0), numOutput, outputHeight, outputWidth])
        }
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int {
        let perOutput = (inputChannels / group) * geometry.kernelH * geometry.kernelW
        return top.reduce(0) { $0 + $1.count * perOutput }
    }
}
