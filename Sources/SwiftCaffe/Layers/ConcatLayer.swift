import CaffeProto

/// Joins blobs along `axis` (default 1, the channels; legacy `concat_dim`), Caffe's "Concat".
///
/// bottoms: outer × C_k × inner, equal except along `axis`; top: outer × ΣC_k × inner.
/// Backward: each bottom's diff is its slab of the top diff.
public final class ConcatLayer: Layer {
    public private(set) var axis = 1
    public private(set) var outerCount = 0, innerCount = 0

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
        guard !bottom.contains(where: { $0 === top[0] }) else {
            throw shapeError("Concat cannot compute in place", hint: "give its top a new name")
        }
        axis = p.hasConcatDim
            ? Int(p.concatDim)
            : try canonicalAxis(p.axis, numAxes: first.numAxes, field: "concat_param.axis")
        guard axis < first.numAxes else {
            throw SwiftCaffeError.invalid("concat_param.concat_dim", "concat_dim \(axis) is out of range for \(first.shapeString)")
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
        outerCount = first.count(from: 0, to: axis)
        innerCount = first.count(from: axis + 1)
        try top[0].reshape(shape)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let y = top[0].data
        let topRow = top[0].dim(axis) * innerCount
        var offset = 0
        for k in 0..<bottom.count {   // index loops: array iterators allocate in debug builds
            let b = bottom[k]
            let row = b.dim(axis) * innerCount
            Self.copyRows(from: b.data, stride: row, to: y + offset, stride: topRow, rows: outerCount, width: row)
            offset += row
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let dy = top[0].diff
        let topRow = top[0].dim(axis) * innerCount
        var offset = 0
        for i in 0..<bottom.count {
            let b = bottom[i]
            let row = b.dim(axis) * innerCount
            if propagateDown[i] {
                Self.copyRows(from: dy + offset, stride: topRow, to: b.diff, stride: row, rows: outerCount, width: row)
            }
            offset += row
        }
    }

    /// Copies `rows` runs of `width` Floats between strided layouts (shared with Slice).
    static func copyRows(from source: UnsafePointer<Float>, stride sourceStride: Int,
                         to destination: UnsafeMutablePointer<Float>, stride destinationStride: Int,
                         rows: Int, width: Int) {
        guard width > 0 else { return }
        if sourceStride == width, destinationStride == width {
            let n = rows * width
            Parallel.forRanges(n) { start, end in
                (destination + start).update(from: source + start, count: end - start)
            }
            return
        }
        Parallel.forEach(rows, workPerItem: width) { r in
            (destination + r * destinationStride).update(from: source + r * sourceStride, count: width)
        }
    }
}
