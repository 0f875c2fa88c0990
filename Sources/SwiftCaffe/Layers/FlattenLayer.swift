import CaffeProto

/// Collapses axes `axis`…`end_axis` into one, Caffe's "Flatten" (default: all but the first).
///
/// bottom: d0 × … × d(n−1); top: d0 × … × (d_axis · … · d_end_axis) × … — the same
/// values in the same order. Forward copies the data, backward copies the diff back.
public final class FlattenLayer: Layer {
    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("Flatten cannot compute in place", hint: "give its top a new name")
        }
        let p = param.flattenParam
        let start = try canonicalAxis(p.axis, numAxes: input.numAxes, field: "flatten_param.axis")
        let end = try canonicalAxis(p.endAxis, numAxes: input.numAxes, field: "flatten_param.end_axis")
        guard start <= end else {
            throw SwiftCaffeError.invalid("flatten_param.end_axis", "end_axis \(end) comes before axis \(start)")
        }
        let shape = Array(input.shape[..<start]) + [input.count(from: start, to: end + 1)]
            + Array(input.shape[(end + 1)...])
        try top[0].reshape(shape)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        FlattenLayer.copy(bottom[0].data, to: top[0].data, count: bottom[0].count)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        FlattenLayer.copy(top[0].diff, to: bottom[0].diff, count: bottom[0].count)
    }

    /// A plain copy split over the cores (shared with Reshape).
    static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count) { start, end in
            (destination + start).update(from: source + start, count: end - start)
        }
    }
}
