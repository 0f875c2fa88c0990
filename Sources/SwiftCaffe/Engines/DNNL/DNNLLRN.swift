import CDNNL

/// The parameters of a local response normalization over an N × C × H × W blob.
struct LRNShape: Equatable {
    var batch = 0, channels = 0, height = 0, width = 0
    var localSize = 5
    var alpha: Float = 1, beta: Float = 0.75, k: Float = 1
    var acrossChannels = true
}

/// Caffe's LRN on oneDNN, on the blocked layout oneDNN prefers (its backward on plain
/// NCHW is a reference kernel, ≈ 60× slower). The workspace written by the
/// forward-training pass is kept for the backward pass.
///
/// The formulas agree: ACROSS_CHANNELS y = x·(k + α/n·Σ x²)^−β over n channels, both
/// dividing α by n; WITHIN_CHANNEL y = x·(1 + α/n²·Σ x²)^−β over the n × n window,
/// where Caffe ignores k (its divisor n² counts the padded cells: with pad (n−1)/2
/// and stride 1 no window overhangs), so oneDNN gets k = 1.
final class DNNLLRN {
    let shape: LRNShape
    let clock: DNNLClock
    private let forwardPass: DNNLPrimitive
    private let backwardPass: DNNLPrimitive
    private let src, dst, diffDst, diffSrc: DNNLOperand
    private let workspace: DNNLMemory?
    let layoutName: String

    var implementations: String { "\(forwardPass.implementation) / bwd \(backwardPass.implementation)" }

    init(_ s: LRNShape) throws {
        shape = s
        let context = try DNNLContext.shared()
        let clock = DNNLClock()
        let dims = [s.batch, s.channels, s.height, s.width]
        let plain = try DNNLContext.descriptor(dims, dnnl_nchw)
        var blocked = try DNNLContext.descriptor(dims, context.activationTag)
        layoutName = DNNLContext.name(of: context.activationTag)
        let algorithm = s.acrossChannels ? dnnl_lrn_across_channels : dnnl_lrn_within_channel
        let k = s.acrossChannels ? s.k : 1

        var forward = dnnl_lrn_desc_t()
        try DNNLContext.check(dnnl_lrn_forward_desc_init(&forward, dnnl_forward_training, algorithm, &blocked,
                                                         Int64(s.localSize), s.alpha, s.beta, k), "describing the LRN")
        let forwardPass = try DNNLPrimitive(&forward, context: context, what: "LRN forward")
        var backward = dnnl_lrn_desc_t()
        var diffLayout = blocked
        try DNNLContext.check(dnnl_lrn_backward_desc_init(&backward, algorithm, &diffLayout, &blocked,
                                                          Int64(s.localSize), s.alpha, s.beta, k),
                              "describing the LRN's backward")
        let backwardPass = try DNNLPrimitive(&backward, context: context, hint: forwardPass, what: "LRN backward")

        func operand(_ layout: dnnl_memory_desc_t?, _ direction: DNNLOperand.Direction) throws -> DNNLOperand {
            try DNNLOperand(plain: plain, inner: layout ?? blocked, direction: direction, context: context, clock: clock)
        }
        let src = try operand(forwardPass.layout(dnnl_query_src_md), .input)
        let dst = try operand(forwardPass.layout(dnnl_query_dst_md), .output)
        let diffDst = try operand(backwardPass.layout(dnnl_query_diff_dst_md), .input)
        let diffSrc = try operand(backwardPass.layout(dnnl_query_diff_src_md), .output)
        let workspace = try forwardPass.layout(dnnl_query_workspace_md).flatMap { layout in
            dnnl_memory_desc_get_size([layout]) > 0 ? try DNNLMemory(layout, context: context) : nil
        }
        src.use(in: forwardPass, as: DNNL_ARG_SRC)
        dst.use(in: forwardPass, as: DNNL_ARG_DST)
        src.use(in: backwardPass, as: DNNL_ARG_SRC)
        diffDst.use(in: backwardPass, as: DNNL_ARG_DIFF_DST)
        diffSrc.use(in: backwardPass, as: DNNL_ARG_DIFF_SRC)
        if let workspace {
            forwardPass.bind(DNNL_ARG_WORKSPACE, workspace)
            backwardPass.bind(DNNL_ARG_WORKSPACE, workspace)
        }
        self.clock = clock
        self.forwardPass = forwardPass
        self.backwardPass = backwardPass
        self.src = src
        self.dst = dst
        self.diffDst = diffDst
        self.diffSrc = diffSrc
        self.workspace = workspace
    }

    /// The input from its engine copy or plain storage; the output left as an engine copy.
    func forward(input: Blob, output: Blob) throws {
        try forwardPass.run(reading: src, from: input, writing: dst, to: output, diff: false)
    }

    /// Reads what the forward read (the bottom is unchanged in between: LRN is never in place).
    func backward(output: Blob, input: Blob) throws {
        try backwardPass.run(reading: diffDst, from: output, writing: diffSrc, to: input, diff: true)
    }
}
