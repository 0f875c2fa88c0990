import CaffeProto

/// Copies one blob to several consumers, Caffe's "Split" (inserted automatically by the
/// net when a blob feeds more than one layer). Backward sums the consumers' gradients.
public final class SplitLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        for t in top { try t.reshape(like: bottom[0]) }
    }
}
