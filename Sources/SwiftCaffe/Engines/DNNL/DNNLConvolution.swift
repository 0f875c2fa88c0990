import CDNNL

/// The shapes of a 2-D convolution, Caffe's conventions (dilation 1 = dense kernel).
struct ConvolutionShape: Equatable {
    var batch = 0, channels = 0, height = 0, width = 0
    var outputs = 0, outputHeight = 0, outputWidth = 0
    var group = 1, kernelH = 1, kernelW = 1, strideH = 1, strideW = 1
    var padH = 0, padW = 0, dilationH = 1, dilationW = 1
    var bias = true
    /// A ReLU fused into the forward as oneDNN's eltwise post-op (Caffe's negative_slope
    /// as alpha), nil for none: the net's plan sets it for an in-place ReLU that follows.
    var reluSlope: Float?

    var weightCount: Int { outputs * channels / group * kernelH * kernelW }
}

/// Caffe's Convolution on oneDNN: forward-training, backward-data and
/// backward-weights (+ bias) primitives for one shape, on the layouts oneDNN chooses
/// (`format_tag any`). Activations and their gradients stay in the blocked layout
/// between oneDNN layers (`DNNLOperand`: engine copies of the Blobs); plain inputs and
/// Caffe's weight layout are converted at the boundary (the weights only when they
/// changed since the last pass; the time is counted).
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
        // `auto`: oneDNN picks Winograd F(4×4, 3×3) where its heuristics expect it to be
        // faster (AVX-512, 3×3 stride 1, ungrouped and wide: CaffeNet's conv3, 82 → 45 ms
        // forward at batch 64) and the direct kernels elsewhere; same results to ≈ 1e-5.
        let algorithm = dnnl_convolution_auto

        /// The bias descriptor, or none without a bias term.
        func withBias(_ body: (UnsafePointer<dnnl_memory_desc_t>?) -> dnnl_status_t) -> dnnl_status_t {
            s.bias ? withUnsafePointer(to: &biasLayout) { body($0) } : body(nil)
        }
        var forward = dnnl_convolution_desc_t()
        try DNNLContext.check(withBias { bias in
            dnnl_dilated_convolution_forward_desc_init(&forward, dnnl_forward_training, algorithm,
                                                       &anySrc, &anyWeights, bias, &anyDst, strides, dilates,
                                                       padding, padding)
        }, "describing the convolution")
        let forwardPass = try DNNLConvolution.withReLU(s.reluSlope) { attributes in
            try DNNLPrimitive(&forward, context: context, attributes: attributes, what: "convolution forward")
        }

        var backward = dnnl_convolution_desc_t()
        try DNNLContext.check(dnnl_dilated_convolution_backward_data_desc_init(
            &backward, algorithm, &anySrc, &anyWeights, &anyDst, strides, dilates, padding, padding),
            "describing the convolution's backward-data")
        let backwardData = try DNNLPrimitive(&backward, context: context, hint: forwardPass,
                                         what: "convolution backward-data")

        var weightsDesc = dnnl_convolution_desc_t()
        try DNNLContext.check(withBias { bias in
            dnnl_dilated_convolution_backward_weights_desc_init(&weightsDesc, algorithm, &anySrc,
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
        src.use(in: forwardPass, as: DNNL_ARG_SRC)
        weights.use(in: forwardPass, as: DNNL_ARG_WEIGHTS)
        bias?.use(in: forwardPass, as: DNNL_ARG_BIAS)
        dst.use(in: forwardPass, as: DNNL_ARG_DST)

        let dataWeights = try operand(plainWeights, backwardData, dnnl_query_weights_md, .input)
        let diffDst = try operand(plainDst, backwardData, dnnl_query_diff_dst_md, .input)
        let diffSrc = try operand(plainSrc, backwardData, dnnl_query_diff_src_md, .output)
        diffDst.use(in: backwardData, as: DNNL_ARG_DIFF_DST)
        dataWeights.use(in: backwardData, as: DNNL_ARG_WEIGHTS)
        diffSrc.use(in: backwardData, as: DNNL_ARG_DIFF_SRC)

        let reuseSource = backwardWeights.layout(dnnl_query_src_md).map { src.inner.sameLayout(as: $0) } ?? false
        let weightsSrc = reuseSource ? nil : try operand(plainSrc, backwardWeights, dnnl_query_src_md, .input)
        let reuseDiffDst = backwardWeights.layout(dnnl_query_diff_dst_md).map { diffDst.inner.sameLayout(as: $0) } ?? false
        let weightsDiffDst = reuseDiffDst ? diffDst : try operand(plainDst, backwardWeights, dnnl_query_diff_dst_md, .input)
        let diffWeights = try operand(plainWeights, backwardWeights, dnnl_query_diff_weights_md, .accumulatingOutput)
        let diffBias = s.bias ? try operand(plainBias, backwardWeights, dnnl_query_diff_weights_md,
                                        .accumulatingOutput, index: 1) : nil
        (weightsSrc ?? src).use(in: backwardWeights, as: DNNL_ARG_SRC)
        weightsDiffDst.use(in: backwardWeights, as: DNNL_ARG_DIFF_DST)
        diffWeights.use(in: backwardWeights, as: DNNL_ARG_DIFF_WEIGHTS)
        diffBias?.use(in: backwardWeights, as: DNNL_ARG_DIFF_BIAS)
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

    /// Attributes with an eltwise_relu post-op (alpha = Caffe's negative_slope) when
    /// `slope` is given, for the duration of `body`.
    private static func withReLU<T>(_ slope: Float?, _ body: (dnnl_primitive_attr_t?) throws -> T) throws -> T {
        guard let slope else { return try body(nil) }
        var attributes: dnnl_primitive_attr_t?
        try DNNLContext.check(dnnl_primitive_attr_create(&attributes), "creating attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        var postOps: dnnl_post_ops_t?
        try DNNLContext.check(dnnl_post_ops_create(&postOps), "creating post-ops")
        defer { dnnl_post_ops_destroy(postOps) }
        try DNNLContext.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, slope, 0),
                              "adding a ReLU post-op")
        try DNNLContext.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "setting post-ops")
        return try body(attributes)
    }

    /// output = conv(input, weights) + bias (then the fused ReLU): the input from its
    /// engine copy or plain storage, the output left as the top's engine copy —
    /// converted now when `exclusive` is false (several bottom/top pairs share this memory).
    func forward(input: Blob, weights weightBlob: Blob, bias biasBlob: Blob?, output: Blob, exclusive: Bool) throws {
        try src.load(input, diff: false)
        try weights.load(parameter: weightBlob)
        if let bias, let biasBlob { try bias.load(parameter: biasBlob) }
        try dst.prepare(output, diff: false)
        try forwardPass.execute()
        try dst.publish(output, diff: false, exclusive: exclusive)
    }

    /// Caffe's backward: bottom diff overwritten (when `data`), weight and bias diffs
    /// accumulated (when `weightGradient` / `biasGradient`). Must follow `forward` on the
    /// same input; `exclusive`: the last `forward` was on this input (one bottom), so
    /// backward-weights may read what it read, and the bottom diff may stay an engine copy.
    func backward(output: Blob, input: Blob, weights weightBlob: Blob, bias biasBlob: Blob?,
                  data: Bool, weightGradient: Bool, biasGradient: Bool, exclusive: Bool) throws {
        try diffDst.load(output, diff: true)
        if data {
            try dataWeights.load(parameter: weightBlob)
            try diffSrc.prepare(input, diff: true)
            try backwardData.execute()
            try diffSrc.publish(input, diff: true, exclusive: exclusive)
        }
        guard weightGradient || biasGradient else { return }
        if let weightsSrc {
            try weightsSrc.load(input, diff: false)
        } else if !exclusive {
            try src.load(input, diff: false)
        }
        if weightsDiffDst !== diffDst { try weightsDiffDst.load(output, diff: true) }
        // oneDNN computes both gradients in one pass; each is added only when asked for.
        try diffWeights.prepare(weightBlob.diff)
        if let diffBias, let biasBlob { try diffBias.prepare(biasBlob.diff) }
        try backwardWeights.execute()
        if weightGradient { try diffWeights.store() }
        if biasGradient, let diffBias { try diffBias.store() }
    }
}
