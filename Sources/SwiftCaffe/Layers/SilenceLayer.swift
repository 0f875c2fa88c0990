import CaffeProto

/// Consumes blobs so they are not reported as net outputs, Caffe's "Silence".
///
/// bottoms: any number, any shapes; no tops. Forward does nothing; backward zeroes the
/// diffs of the bottoms that ask for a gradient.
public final class SilenceLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...Int.max }
    public override var topCountRange: ClosedRange<Int> { 0...0 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {}

    public override func forward(bottom: [Blob], top: [Blob]) throws {}

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for i in 0..<bottom.count where propagateDown[i] { bottom[i].fillDiff(0) }
    }
}
