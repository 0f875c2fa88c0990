import CaffeProto

/// Rectified linear unit, Caffe's "ReLU": y = max(0, x) + negative_slope · min(0, x).
/// bottom and top: any shape (usually in place).
public final class ReLULayer: Layer {
    public let negativeSlope: Float

    public required init(param: Caffe_LayerParameter) throws {
        negativeSlope = param.reluParam.negativeSlope
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        try top[0].reshape(like: bottom[0])
    }
}
