import CDNNL

/// The shape of a ReLU on oneDNN: an N × C × H × W blob, Caffe's negative_slope, and
/// whether backward reads the output (in place, where the input is overwritten).
struct ReLUShape: Equatable {
    var dims: [Int] = []
    var slope: Float = 0
    /// In place: backward finds the sign in y (oneDNN's relu_use_dst_for_bwd), which
    /// matches x's only for slope ≥ 0 (the layer asks for this only then).
    var readsOutput = false
}

/// Caffe's ReLU as oneDNN's eltwise_relu (alpha = negative_slope) forward and backward,
/// on the blocked layout of the convolutions around it, so that its input, output
/// and gradients stay engine copies (no conversion between oneDNN layers).
///
/// When the net's plan fuses the ReLU into the convolution before it (a post-op), the
/// forward here does not run; the backward does, reading the convolution's output.
final class DNNLReLU {
    let shape: ReLUShape
    let clock: DNNLClock
    let layoutName: String
    private let forwardPass, backwardPass: DNNLPrimitive
    private let src, dst: DNNLOperand
    /// Backward's x (out of place) or y (in place).
    private let backwardData: DNNLOperand
    private let diffDst, diffSrc: DNNLOperand

    var implementations: String { "\(forwardPass.implementation) / bwd \(backwardPass.implementation)" }

    init(_ s: ReLUShape) throws {
        shape = s
        let context = try DNNLContext.shared()
        let clock = DNNLClock()
        self.clock = clock
        let plain = try DNNLContext.descriptor(s.dims, dnnl_nchw)
        var blocked = try DNNLContext.descriptor(s.dims, context.activationTag)
        layoutName = DNNLContext.name(of: context.activationTag)
        let algorithm = s.readsOutput ? dnnl_eltwise_relu_use_dst_for_bwd : dnnl_eltwise_relu

        var forward = dnnl_eltwise_desc_t()
        try DNNLContext.check(dnnl_eltwise_forward_desc_init(&forward, dnnl_forward_training, algorithm, &blocked,
                                                             s.slope, 0), "describing the ReLU")
        let forwardPass = try DNNLPrimitive(&forward, context: context, what: "ReLU forward")
        var backward = dnnl_eltwise_desc_t()
        var diffLayout = blocked
        try DNNLContext.check(dnnl_eltwise_backward_desc_init(&backward, algorithm, &diffLayout, &blocked,
                                                              s.slope, 0), "describing the ReLU's backward")
        let backwardPass = try DNNLPrimitive(&backward, context: context, hint: forwardPass, what: "ReLU backward")

        func operand(_ primitive: DNNLPrimitive, _ query: dnnl_query_t,
                     _ direction: DNNLOperand.Direction) throws -> DNNLOperand {
            try DNNLOperand(plain: plain, inner: primitive.layout(query) ?? blocked, direction: direction,
                            context: context, clock: clock)
        }
        src = try operand(forwardPass, dnnl_query_src_md, .input)
        dst = try operand(forwardPass, dnnl_query_dst_md, .output)
        backwardData = try operand(backwardPass, s.readsOutput ? dnnl_query_dst_md : dnnl_query_src_md, .input)
        diffDst = try operand(backwardPass, dnnl_query_diff_dst_md, .input)
        diffSrc = try operand(backwardPass, dnnl_query_diff_src_md, .output)
        src.use(in: forwardPass, as: DNNL_ARG_SRC)
        dst.use(in: forwardPass, as: DNNL_ARG_DST)
        backwardData.use(in: backwardPass, as: s.readsOutput ? DNNL_ARG_DST : DNNL_ARG_SRC)
        diffDst.use(in: backwardPass, as: DNNL_ARG_DIFF_DST)
        diffSrc.use(in: backwardPass, as: DNNL_ARG_DIFF_SRC)
        self.forwardPass = forwardPass
        self.backwardPass = backwardPass
    }

    /// y = max(x, 0) + slope · min(x, 0); in place, `input` and `output` are one blob.
    func forward(input: Blob, output: Blob) throws {
        try forwardPass.run(reading: src, from: input, writing: dst, to: output, diff: false)
    }

    /// ∂x = ∂y where x > 0 (read from y in place), ∂y · slope elsewhere.
    func backward(output: Blob, input: Blob) throws {
        try backwardData.load(shape.readsOutput ? output : input, diff: false)
        try backwardPass.run(reading: diffDst, from: output, writing: diffSrc, to: input, diff: true)
    }
}
