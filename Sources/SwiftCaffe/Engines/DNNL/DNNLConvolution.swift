import CDNNL

/// The shapes of a 2-D convolution, Caffe's conventions (dilation 1 = dense kernel).
struct ConvolutionShape: Equatable {
    var batch = 0, channels = 0, height = 0, width = 0
    var outputs = 0, outputHeight = 0, outputWidth = 0
    var group = 1, kernelH = 1, kernelW = 1, strideH = 1, strideW = 1
    var padH = 0, padW = 0, dilationH = 1, dilationW = 1
    var bias = true

    var weightCount: Int { outputs * channels / group * kernelH * kernelW }
}

/// Caffe's Convolution on oneDNN: forward-training, backward-data and
/// backward-weights (+ bias) primitives for one shape, on the layouts oneDNN chooses
/// (`format_tag any`); a Blob's plain NCHW data and Caffe's weight layout are
/// converted at the boundary (weights every pass: ≈ 0.1 ms; the time is counted).
///
/// Grouped weights are oneDNN's 5-D {g, oc/g, ic/g, kh, kw}, which is Caffe's
/// Cout × (C/g) × kh × kw memory read with one more axis. oneDNN's dilation counts the
/// gaps (Caffe's dilation − 1); the right/bottom padding is Caffe's pad, since
/// Caffe's convolution rounds down exactly as oneDNN does.
final class DNNLConvolution {
    let shape: ConvolutionShape
    let clock: DNNLClock
    private let forwardPass: DNNLPrimitive
    private let src, weights, dst: DNNLOperand
    private let bias: DNNLOperand?
    private let backwardData: DNNLPrimitive
    private let dataWeights, diffDst, diffSrc: DNNLOperand
    private let backwardWeights: DNNLPrimitive
    private let weightsDiffDst, diffWeights: DNNLOperand
    private let diffBias: DNNLOperand?
    /// Backward-weights reads the forward's converted input when the layouts agree
    /// (the bottom does not change between the passes); else converts it again.
    private let weightsSrc: DNNLOperand?

    /// "jit:avx512_core / bwd jit:avx512_core / wei jit:avx512_core".
    var implementations: String {
        "\(forwardPass.implementation) / bwd \(backwardData.implementation) / wei \(backwardWeights.implementation)"
    }
    var convertsLayouts: Bool { src.converts || dst.converts }

    init(_ s: ConvolutionShape) throws {
        shape = s
        let context = try DNNLContext.shared()
        let clock = DNNLClock()
        let any = dnnl_format_tag_any
        let grouped = s.group > 1
        let weightDims = grouped ? [s.group, s.outputs / s.group, s.channels / s.group, s.kernelH, s.kernelW]
                                 : [s.outputs, s.channels, s.kernelH, s.kernelW]
        let weightTag = grouped ? dnnl_goihw : dnnl_oihw
        let srcDims = [s.batch, s.channels, s.height, s.width]
        let dstDims = [s.batch, s.outputs, s.outputHeight, s.outputWidth]
        let plainSrc = try DNNLContext.descriptor(srcDims, dnnl_nchw)
        let plainDst = try DNNLContext.descriptor(dstDims, dnnl_nchw)
        let plainWeights = try DNNLContext.descriptor(weightDims, weightTag)
        let plainBias = try DNNLContext.descriptor([s.outputs], dnnl_x)
        var anySrc = try DNNLContext.descriptor(srcDims, any)
        var anyDst = try DNNLContext.descriptor(dstDims, any)
        var anyWeights = try DNNLContext.descriptor(weightDims, any)
        var biasLayout = plainBias
        let strides: [Int64] = [Int64(s.strideH), Int64(s.strideW)]
        let dilates: [Int64] = [Int64(s.dilationH - 1), Int64(s.dilationW - 1)]
        let padding: [Int64] = [Int64(s.padH), Int64(s.padW)]

        /// The bias descriptor, or none without a bias term.
        func withBias(_ body: (UnsafePointer<dnnl_memory_desc_t>?) -> dnnl_status_t) -> dnnl_status_t {
            s.bias ? withUnsafePointer(to: &biasLayout) { body($0) } : body(nil)
        }
        var forward = dnnl_convolution_desc_t()
        try DNNLContext.check(withBias { bias in
            dnnl_dilated_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct,
                                                       &anySrc, &anyWeights, bias, &anyDst, strides, dilates,
                                                       padding, padding)
        }, "describing the convolution")
        let forwardPass = try DNNLPrimitive(&forward, context: context, what: "convolution forward")

        var backward = dnnl_convolution_desc_t()
        try DNNLContext.check(dnnl_dilated_convolution_backward_data_desc_init(
            &backward, dnnl_convolution_direct, &anySrc, &anyWeights, &anyDst, strides, dilates, padding, padding),
            "describing the convolution's backward-data")
        let backwardData = try DNNLPrimitive(&backward, context: context, hint: forwardPass,
                                         what: "convolution backward-data")

        var weightsDesc = dnnl_convolution_desc_t()
        try DNNLContext.check(withBias { bias in
            dnnl_dilated_convolution_backward_weights_desc_init(&weightsDesc, dnnl_convolution_direct, &anySrc,
                                                                &anyWeights, bias, &anyDst, strides, dilates,
                                                                padding, padding)
        }, "describing the convolution's backward-weights")
        let backwardWeights = try DNNLPrimitive(&weightsDesc, context: context, hint: forwardPass,
                                            what: "convolution backward-weights")

        func operand(_ plain: dnnl_memory_desc_t, _ primitive: DNNLPrimitive, _ query: dnnl_query_t,
                     _ direction: DNNLOperand.Direction, index: Int32 = 0) throws -> DNNLOperand {
            guard let inner = primitive.layout(query, index) else {
                throw SwiftCaffeError(.semantic, "oneDNN: the convolution has no layout for an argument")
            }
            return try DNNLOperand(plain: plain, inner: inner, direction: direction, context: context, clock: clock)
        }
        let src = try operand(plainSrc, forwardPass, dnnl_query_src_md, .input)
        let weights = try operand(plainWeights, forwardPass, dnnl_query_weights_md, .input)
        let dst = try operand(plainDst, forwardPass, dnnl_query_dst_md, .output)
        let bias = s.bias ? try operand(plainBias, forwardPass, dnnl_query_weights_md, .input, index: 1) : nil
        forwardPass.bind(DNNL_ARG_SRC, src.inner)
        forwardPass.bind(DNNL_ARG_WEIGHTS, weights.inner)
        if let bias { forwardPass.bind(DNNL_ARG_BIAS, bias.inner) }
        forwardPass.bind(DNNL_ARG_DST, dst.inner)

        let dataWeights = try operand(plainWeights, backwardData, dnnl_query_weights_md, .input)
        let diffDst = try operand(plainDst, backwardData, dnnl_query_diff_dst_md, .input)
        let diffSrc = try operand(plainSrc, backwardData, dnnl_query_diff_src_md, .output)
        backwardData.bind(DNNL_ARG_DIFF_DST, diffDst.inner)
        backwardData.bind(DNNL_ARG_WEIGHTS, dataWeights.inner)
        backwardData.bind(DNNL_ARG_DIFF_SRC, diffSrc.inner)

        let reuseSource = backwardWeights.layout(dnnl_query_src_md).map { src.inner.sameLayout(as: $0) } ?? false
        let weightsSrc = reuseSource ? nil : try operand(plainSrc, backwardWeights, dnnl_query_src_md, .input)
        let reuseDiffDst = backwardWeights.layout(dnnl_query_diff_dst_md).map { diffDst.inner.sameLayout(as: $0) } ?? false
        let weightsDiffDst = reuseDiffDst ? diffDst : try operand(plainDst, backwardWeights, dnnl_query_diff_dst_md, .input)
        let diffWeights = try operand(plainWeights, backwardWeights, dnnl_query_diff_weights_md, .accumulatingOutput)
        let diffBias = s.bias ? try operand(plainBias, backwardWeights, dnnl_query_diff_weights_md,
                                        .accumulatingOutput, index: 1) : nil
        backwardWeights.bind(DNNL_ARG_SRC, (weightsSrc ?? src).inner)
        backwardWeights.bind(DNNL_ARG_DIFF_DST, weightsDiffDst.inner)
        backwardWeights.bind(DNNL_ARG_DIFF_WEIGHTS, diffWeights.inner)
        if let diffBias { backwardWeights.bind(DNNL_ARG_DIFF_BIAS, diffBias.inner) }
        self.clock = clock
        self.forwardPass = forwardPass
        self.backwardData = backwardData
        self.backwardWeights = backwardWeights
        self.src = src
        self.weights = weights
        self.dst = dst
        self.bias = bias
        self.dataWeights = dataWeights
        self.diffDst = diffDst
        self.diffSrc = diffSrc
        self.weightsSrc = weightsSrc
        self.weightsDiffDst = weightsDiffDst
        self.diffWeights = diffWeights
        self.diffBias = diffBias
    }

    /// output = conv(input, weights) + bias, all plain (NCHW, Caffe's weight layout).
    func forward(input: Blob, weights weightBlob: Blob, bias biasBlob: Blob?, output: Blob) throws {
        try src.load(input.data)
        try weights.load(weightBlob.data)
        if let bias, let biasBlob { try bias.load(biasBlob.data) }
        try dst.prepare(output.data)
        try forwardPass.execute()
        try dst.store()
    }

    /// Caffe's backward: bottom diff overwritten (when `data`), weight and bias diffs
    /// accumulated (when `weightGradient` / `biasGradient`). Must follow `forward` on the
    /// same input; `inputStillConverted`: the last `forward` was on this input (one
    /// bottom), so backward-weights may read its converted copy.
    func backward(output: Blob, input: Blob, weights weightBlob: Blob, bias biasBlob: Blob?,
                  data: Bool, weightGradient: Bool, biasGradient: Bool, inputStillConverted: Bool) throws {
        try diffDst.load(output.diff)
        if data {
            try dataWeights.load(weightBlob.data)
            try diffSrc.prepare(input.diff)
            try backwardData.execute()
            try diffSrc.store()
        }
        guard weightGradient || biasGradient else { return }
        if let weightsSrc {
            try weightsSrc.load(input.data)
        } else if inputStillConverted {
            try src.plain.bind(input.data)
        } else {
            try src.load(input.data)
        }
        if weightsDiffDst !== diffDst { try weightsDiffDst.load(output.diff) }
        // oneDNN computes both gradients in one pass; each is added only when asked for.
        try diffWeights.prepare(weightBlob.diff)
        if let diffBias, let biasBlob { try diffBias.prepare(biasBlob.diff) }
        try backwardWeights.execute()
        if weightGradient { try diffWeights.store() }
        if biasGradient, let diffBias { try diffBias.store() }
    }
}

