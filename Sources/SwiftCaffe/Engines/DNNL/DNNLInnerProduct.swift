import CDNNL

/// The shapes of an inner product: M rows of K inputs onto N outputs.
struct InnerProductShape: Equatable {
    var rows = 0, inputs = 0, outputs = 0
    /// Caffe's `transpose`: weights stored K × N instead of N × K.
    var transpose = false
    var bias = true
}

/// Caffe's InnerProduct forward for inference on oneDNN: y[M × N] = x[M × K] · Wᵀ + b.
///
/// Why inference only: oneDNN's fast kernel (brgemm on AVX-512) wants the weights in
/// a blocked layout of its own. Converting CaffeNet's fc6 (9216 × 4096) into it takes
/// ≈ 22 ms, more than OpenBLAS's whole forward at batch 64 gains, and training changes
/// the weights every step. In a TEST-phase net they change only when the train net
/// they are shared with is updated, so the converted copy (`DNNLOperand.load(parameter:)`)
/// serves every batch of a test pass: fc6 at batch 10 runs in ≈ 7 ms against
/// OpenBLAS's ≈ 24 (benchmarks/BENCHMARKS.md). The backward, when a TEST net is timed
/// backward, stays the layer's own OpenBLAS code on the plain weights.
///
/// Input and output are plain 2-D (`nc`): the input is read from the blob's plain
/// values (a blocked pool5 is converted by its own layer, as for OpenBLAS).
final class DNNLInnerProduct {
    let shape: InnerProductShape
    let clock: DNNLClock
    private let forwardPass: DNNLPrimitive
    private let src, weights, dst: DNNLOperand
    private let bias: DNNLOperand?

    var implementation: String { forwardPass.implementation }
    /// Whether oneDNN wants the weights in a layout of its own (then they are cached).
    var convertsWeights: Bool { weights.converts }

    init(_ s: InnerProductShape) throws {
        shape = s
        let context = try DNNLContext.shared()
        let clock = DNNLClock()
        let plainSrc = try DNNLContext.descriptor([s.rows, s.inputs], dnnl_nc)
        let plainDst = try DNNLContext.descriptor([s.rows, s.outputs], dnnl_nc)
        // Logical dims {N, K}; Caffe's N × K memory is `oi`, the transposed K × N `io`.
        let plainWeights = try DNNLContext.descriptor([s.outputs, s.inputs], s.transpose ? dnnl_io : dnnl_oi)
        var plainBias = try DNNLContext.descriptor([s.outputs], dnnl_x)
        var srcLayout = plainSrc, dstLayout = plainDst
        var anyWeights = try DNNLContext.descriptor([s.outputs, s.inputs], dnnl_format_tag_any)
        var forward = dnnl_inner_product_desc_t()
        try DNNLContext.check(s.bias
            ? dnnl_inner_product_forward_desc_init(&forward, dnnl_forward_inference, &srcLayout, &anyWeights,
                                                   &plainBias, &dstLayout)
            : dnnl_inner_product_forward_desc_init(&forward, dnnl_forward_inference, &srcLayout, &anyWeights,
                                                   nil, &dstLayout),
            "describing the inner product")
        let forwardPass = try DNNLPrimitive(&forward, context: context, what: "inner product forward")
        guard let weightLayout = forwardPass.layout(dnnl_query_weights_md) else {
            throw SwiftCaffeError(.semantic, "oneDNN: the inner product has no weight layout")
        }
        src = try DNNLOperand(plain: plainSrc, inner: plainSrc, direction: .input, context: context, clock: clock)
        weights = try DNNLOperand(plain: plainWeights, inner: weightLayout, direction: .input, context: context,
                                  clock: clock)
        dst = try DNNLOperand(plain: plainDst, inner: plainDst, direction: .output, context: context, clock: clock)
        bias = s.bias ? try DNNLOperand(plain: plainBias, inner: plainBias, direction: .input, context: context,
                                        clock: clock) : nil
        src.use(in: forwardPass, as: DNNL_ARG_SRC)
        weights.use(in: forwardPass, as: DNNL_ARG_WEIGHTS)
        bias?.use(in: forwardPass, as: DNNL_ARG_BIAS)
        dst.use(in: forwardPass, as: DNNL_ARG_DST)
        self.clock = clock
        self.forwardPass = forwardPass
    }

    /// output[M × N] = input[M × K] · Wᵀ (+ bias), the weights converted only when they changed.
    func forward(input: Blob, weights weightBlob: Blob, bias biasBlob: Blob?, output: Blob) throws {
        try src.load(input, diff: false)
        try weights.load(parameter: weightBlob)
        if let bias, let biasBlob { try bias.load(parameter: biasBlob) }
        try dst.prepare(output, diff: false)
        try forwardPass.execute()
        try dst.publish(output, diff: false)
    }
}
