import CaffeProto

/// Joins blobs along `axis` (default 1, the channels), Caffe's "Concat".
/// bottoms: shapes equal except along `axis`; top: their sum along `axis`.
public final class ConcatLayer: Layer {
    public private(set) var axis = 1

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.concatParam
        guard !(p.hasAxis && p.hasConcatDim) else {
            throw SwiftCaffeError.invalid("concat_param.concat_dim",
                "give either axis or the legacy concat_dim, not both")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...Int.max }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = param.concatParam
        let first = bottom[0]
        axis = p.hasConcatDim
            ? Int(p.concatDim)
            : try canonicalAxis(p.axis, numAxes: first.numAxes, field: "concat_param.axis")
        guard axis < first.numAxes else {
            throw parameterError("concat_param.concat_dim", "concat_dim \(axis) is out of range for \(first.shapeString)")
        }
        var shape = first.shape
        for (i, blob) in bottom.enumerated().dropFirst() {
            var same = blob.numAxes == first.numAxes
            if same {
                for a in 0..<first.numAxes where a != axis && blob.dim(a) != first.dim(a) { same = false }
            }
            guard same else {
                throw shapeError("bottom \(i) has shape \(blob.shapeString) but bottom 0 has \(first.shapeString); "
                                 + "all dimensions except axis \(axis) must match")
            }
            shape[axis] += blob.dim(axis)
        }
        try top[0].reshape(shape)
    }
}
