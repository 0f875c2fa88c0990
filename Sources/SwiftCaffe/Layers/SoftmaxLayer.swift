import CaffeProto

/// Softmax along `axis` (default 1, the channels), Caffe's "Softmax".
/// bottom and top: any shape.
public final class SoftmaxLayer: Layer {
    public private(set) var axis = 1

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        axis = try canonicalAxis(param.softmaxParam.axis, numAxes: bottom[0].numAxes, field: "softmax_param.axis")
        try top[0].reshape(like: bottom[0])
    }
}
