import CaffeProto

/// Local response normalization, Caffe's "LRN" (AlexNet §3.3).
///
/// ACROSS_CHANNELS: b = a / (k + α/n · Σ_{n neighbouring channels} a²)^β
/// WITHIN_CHANNEL:  b = a / (1 + α · avgpool_{n×n}(a²))^β
/// bottom and top: N × C × H × W.
public final class LRNLayer: Layer {
    public let localSize: Int
    public let alpha: Float
    public let beta: Float
    public let k: Float
    public let region: Caffe_LRNParameter.NormRegion

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.lrnParam
        localSize = Int(p.localSize)
        alpha = p.alpha
        beta = p.beta
        k = p.k
        region = p.normRegion
        guard localSize > 0, localSize % 2 == 1 else {
            throw SwiftCaffeError.invalid("lrn_param.local_size",
                "local_size must be a positive odd number (got \(p.localSize))",
                hint: "the window is centred on each channel, so it needs an odd size such as 5")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].numAxes == 4 else {
            throw shapeError("LRN needs a 4-D N×C×H×W input, got \(bottom[0].shapeString)")
        }
        try top[0].reshape(like: bottom[0])
    }
}
