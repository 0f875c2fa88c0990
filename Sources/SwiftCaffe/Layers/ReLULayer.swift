import CaffeProto

/// Rectified linear unit, Caffe's "ReLU": y = max(0, x) + negative_slope · min(0, x).
/// bottom and top: any shape, the same; usually in place.
///
/// Backward: ∂x = ∂y where x > 0, ∂y · negative_slope elsewhere. In place the sign
/// of x is read from y, which has the same sign when negative_slope ≥ 0; with a
/// negative slope the layer keeps a copy of x (as Caffe's PReLU does).
///
/// On the dnnl engine the net's plan (Net/EnginePlan.swift) decides, once every layer
/// is set up: fused into the convolution right before it (that forward computes y as
/// a post-op and this forward does nothing; backward runs here on oneDNN), on oneDNN
/// alone (`DNNLReLU`) when its input comes from a oneDNN layer and so stays in the
/// blocked layout, or else on the loops below.
public final class ReLULayer: Layer {
    public let negativeSlope: Float
    private let inPlaceInput = InPlaceInput()
    /// Set by the net's plan: compute on oneDNN (4-D blobs; in place only with slope ≥ 0).
    var runsOnEngine = false
    /// Set by the net's plan: the convolution whose forward applies this ReLU.
    weak var fusedInto: ConvolutionLayer?
    private var dnnl: DNNLReLU?

    public required init(param: Caffe_LayerParameter) throws {
        negativeSlope = param.reluParam.negativeSlope
        try SwiftCaffeError.rejectCUDNN(param.reluParam.hasEngine && param.reluParam.engine == .cudnn, field: "relu_param.engine")
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    /// Whether the relu_param asks for Caffe's own code (`engine: CAFFE`).
    var asksForReference: Bool { param.reluParam.engine == .caffe }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: negativeSlope < 0)
        let shape = ReLUShape(dims: bottom[0].shape, slope: negativeSlope, readsOutput: top[0] === bottom[0])
        guard runsOnEngine, shape.dims.count == 4, negativeSlope >= 0 || !shape.readsOutput else {
            dnnl = nil
            return
        }
        dnnl = engineKernels(asksForReference: asksForReference, current: dnnl, fits: { $0.shape == shape }) {
            shape.dims[0] > 0 ? try DNNLReLU(shape) : nil
        }
    }

    public override var engineDescription: String {
        guard let dnnl else { return "openblas" }
        let fused = fusedInto.flatMap { $0.appliesFusedReLU ? " (forward fused into \($0.name))" : nil } ?? ""
        return "dnnl \(dnnl.implementations) \(dnnl.layoutName)\(fused)"
    }
    public override var conversionNanoseconds: UInt64 { dnnl?.clock.nanoseconds ?? 0 }
    public override func resetConversionTime() { dnnl?.clock.reset() }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        if let fusedInto, fusedInto.appliesFusedReLU { return }  // its post-op computed y
        if let dnnl { return try dnnl.forward(input: bottom[0], output: top[0]) }
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data, slope = negativeSlope
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = max(x[i], 0) + slope * min(x[i], 0) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        if let dnnl { return try dnnl.backward(output: top[0], input: bottom[0]) }
        // Out of place: x. In place: y (same sign as x) or the saved copy of x.
        let x = inPlaceInput.input(bottom[0])
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff, slope = negativeSlope
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = x[i] > 0 ? dy[i] : dy[i] * slope }
        }
    }
}
