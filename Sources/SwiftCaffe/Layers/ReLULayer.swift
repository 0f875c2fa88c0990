import CaffeProto

/// Rectified linear unit, Caffe's "ReLU": y = max(0, x) + negative_slope · min(0, x).
/// bottom and top: any shape, the same; usually in place.
///
/// Backward: ∂x = ∂y where x > 0, ∂y · negative_slope elsewhere. In place the sign
/// of x is read from y, which has the same sign when negative_slope ≥ 0; with a
/// negative slope the layer keeps a copy of x (as Caffe's PReLU does).
public final class ReLULayer: Layer {
    public let negativeSlope: Float
    private let inPlaceInput = InPlaceInput()

    public required init(param: Caffe_LayerParameter) throws {
        negativeSlope = param.reluParam.negativeSlope
        try SwiftCaffeError.rejectCUDNN(param.reluParam.hasEngine && param.reluParam.engine == .cudnn, field: "relu_param.engine")
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: negativeSlope < 0)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data, slope = negativeSlope
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = max(x[i], 0) + slope * min(x[i], 0) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        // Out of place: x. In place: y (same sign as x) or the saved copy of x.
        let x = inPlaceInput.input(bottom[0])
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff, slope = negativeSlope
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = x[i] > 0 ? dy[i] : dy[i] * slope }
        }
    }
}
