import CaffeProto

/// Consumes blobs so they are not reported as net outputs, Caffe's "Silence".
public final class SilenceLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...Int.max }
    public override var topCountRange: ClosedRange<Int> { 0...0 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {}
}
