import CDNNL

/// The shapes of a 2-D pooling after Caffe's output rule (ceil or floor, then the
/// last window moved inside the image or its left/top padding).
struct PoolingShape: Equatable {
    var batch = 0, channels = 0, height = 0, width = 0, outputHeight = 0, outputWidth = 0
    var kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, padH = 0, padW = 0
    var isMax = true
    /// Forward-training keeps MAX's workspace (the argmax) for backward.
    var training = true

    /// The right/bottom padding that makes oneDNN's floor rule give Caffe's size:
    /// (out − 1)·stride + kernel − in − pad (negative when floor drops input).
    var padBottom: Int { (outputHeight - 1) * strideH + kernelH - height - padH }
    var padRight: Int { (outputWidth - 1) * strideW + kernelW - width - padW }
}

/// Caffe's MAX and AVE pooling on oneDNN, on the blocked layout oneDNN prefers
/// (pooling on plain NCHW falls back to slow reference kernels).
///
/// Caffe's AVE divisor is the window clipped to H + pad (the padding counts, the
/// extra rows of ceil rounding do not) — not oneDNN's choices in general:
/// - no window reaches past H + pad (padBottom ≤ pad): the divisor is always
///   kh·kw = oneDNN's `pooling_avg_include_padding`;
/// - pad 0: the divisor counts the window clipped to the image =
///   `pooling_avg_exclude_padding`;
/// - otherwise (pad > 0 and ceil overhang) the layer stays on the reference engine.
final class DNNLPooling {
    let shape: PoolingShape
    let clock: DNNLClock
    private let forwardPass: DNNLPrimitive
    private let src, dst: DNNLOperand
    private let workspace: DNNLMemory?
    private let backwardPass: DNNLPrimitive?
    private let diffDst, diffSrc: DNNLOperand?
    let layoutName: String

    var implementations: String {
        forwardPass.implementation + (backwardPass.map { " / bwd \($0.implementation)" } ?? "")
    }

    init(_ s: PoolingShape) throws {
        shape = s
        let context = try DNNLContext.shared()
        let clock = DNNLClock()
        self.clock = clock
        let algorithm: dnnl_alg_kind_t
        if s.isMax {
            algorithm = dnnl_pooling_max
        } else if s.padBottom <= s.padH && s.padRight <= s.padW {
            algorithm = dnnl_pooling_avg_include_padding
        } else if s.padH == 0 && s.padW == 0 {
            algorithm = dnnl_pooling_avg_exclude_padding
        } else {
            throw SwiftCaffeError(.semantic, "Caffe's AVE divisor at the ceil-rounded edge (pad with an extra "
                                  + "last window) has no oneDNN equivalent")
        }
        let srcDims = [s.batch, s.channels, s.height, s.width]
        let dstDims = [s.batch, s.channels, s.outputHeight, s.outputWidth]
        let plainSrc = try DNNLContext.descriptor(srcDims, dnnl_nchw)
        let plainDst = try DNNLContext.descriptor(dstDims, dnnl_nchw)
        var blockedSrc = try DNNLContext.descriptor(srcDims, context.activationTag)
        var anyDst = try DNNLContext.descriptor(dstDims, dnnl_format_tag_any)
        layoutName = DNNLContext.name(of: context.activationTag)
        let strides: [Int64] = [Int64(s.strideH), Int64(s.strideW)]
        let kernel: [Int64] = [Int64(s.kernelH), Int64(s.kernelW)]
        let dilation: [Int64] = [0, 0]
        let padLeft: [Int64] = [Int64(s.padH), Int64(s.padW)]
        let padRight: [Int64] = [Int64(s.padBottom), Int64(s.padRight)]

        var forward = dnnl_pooling_v2_desc_t()
        try DNNLContext.check(dnnl_pooling_v2_forward_desc_init(
            &forward, s.training ? dnnl_forward_training : dnnl_forward_inference, algorithm, &blockedSrc, &anyDst,
            strides, kernel, dilation, padLeft, padRight), "describing the pooling")
        forwardPass = try DNNLPrimitive(&forward, context: context, what: "pooling forward")
        guard let dstLayout = forwardPass.layout(dnnl_query_dst_md) else {
            throw SwiftCaffeError(.semantic, "oneDNN: the pooling has no output layout")
        }
        src = try DNNLOperand(plain: plainSrc, inner: blockedSrc, direction: .input, context: context, clock: clock)
        dst = try DNNLOperand(plain: plainDst, inner: dstLayout, direction: .output, context: context, clock: clock)
        src.use(in: forwardPass, as: DNNL_ARG_SRC)
        dst.use(in: forwardPass, as: DNNL_ARG_DST)
        if s.isMax && s.training, let layout = forwardPass.layout(dnnl_query_workspace_md) {
            let memory = try DNNLMemory(layout, context: context)
            forwardPass.bind(DNNL_ARG_WORKSPACE, memory)
            workspace = memory
        } else {
            workspace = nil
        }
        guard s.training else {
            backwardPass = nil; diffDst = nil; diffSrc = nil
            return
        }
        var backward = dnnl_pooling_v2_desc_t()
        var diffSrcLayout = blockedSrc, diffDstLayout = dstLayout
        try DNNLContext.check(dnnl_pooling_v2_backward_desc_init(
            &backward, algorithm, &diffSrcLayout, &diffDstLayout, strides, kernel, dilation, padLeft, padRight),
            "describing the pooling's backward")
        let pass = try DNNLPrimitive(&backward, context: context, hint: forwardPass, what: "pooling backward")
        let gradientIn = try DNNLOperand(plain: plainDst, inner: pass.layout(dnnl_query_diff_dst_md) ?? dstLayout,
                                         direction: .input, context: context, clock: clock)
        let gradientOut = try DNNLOperand(plain: plainSrc, inner: pass.layout(dnnl_query_diff_src_md) ?? blockedSrc,
                                          direction: .output, context: context, clock: clock)
        gradientIn.use(in: pass, as: DNNL_ARG_DIFF_DST)
        gradientOut.use(in: pass, as: DNNL_ARG_DIFF_SRC)
        if let workspace { pass.bind(DNNL_ARG_WORKSPACE, workspace) }
        backwardPass = pass; diffDst = gradientIn; diffSrc = gradientOut
    }

    /// The input from its engine copy or plain storage; the output left as an engine copy.
    func forward(input: Blob, output: Blob) throws {
        try forwardPass.run(reading: src, from: input, writing: dst, to: output, diff: false)
    }

    /// bottom diff = routed (MAX, through the workspace) or spread (AVE) top diff.
    func backward(output: Blob, input: Blob) throws {
        guard let backwardPass, let diffDst, let diffSrc else {
            throw SwiftCaffeError(.semantic, "pooling was set up for inference and cannot run backward")
        }
        try backwardPass.run(reading: diffDst, from: output, writing: diffSrc, to: input, diff: true)
    }
}
