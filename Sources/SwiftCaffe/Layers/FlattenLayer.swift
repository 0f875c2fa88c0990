import CaffeProto

/// Collapses axes `axis`…`end_axis` into one, Caffe's "Flatten" (default: all but the first).
public final class FlattenLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        let p = param.flattenParam
        let start = try canonicalAxis(p.axis, numAxes: input.numAxes, field: "flatten_param.axis")
        let end = try canonicalAxis(p.endAxis, numAxes: input.numAxes, field: "flatten_param.end_axis")
        guard start <= end else {
            throw parameterError("flatten_param.end_axis", "end_axis \(end) comes before axis \(start)")
        }
        let shape = Array(input.shape[..<start]) + [input.count(from: start, to: end + 1)]
            + Array(input.shape[(end + 1)...])
        try top[0].reshape(shape)
    }
}
