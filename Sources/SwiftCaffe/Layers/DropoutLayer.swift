import CaffeProto

/// Dropout, Caffe's "Dropout": at TRAIN each unit is kept with probability 1 − p and
/// scaled by 1/(1 − p); at TEST it is the identity. bottom and top: any shape.
public final class DropoutLayer: Layer {
    public let ratio: Float

    public required init(param: Caffe_LayerParameter) throws {
        ratio = param.dropoutParam.dropoutRatio
        guard ratio >= 0, ratio < 1 else {
            throw SwiftCaffeError.invalid("dropout_param.dropout_ratio",
                "dropout_ratio must be in [0, 1) (got \(ratio))",
                hint: "it is the probability of dropping a unit; AlexNet uses 0.5")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        try top[0].reshape(like: bottom[0])
    }
}
