import CaffeProto

/// Caffe's "Slice": splits a blob along `axis` (default 1; legacy `slice_dim`), the
/// inverse of Concat.
///
/// bottom: outer × C × inner; top k: outer × C_k × inner. With `slice_point`s
/// p_1 < … < p_{K−1} (one fewer than the tops), top k takes [p_k, p_{k+1}) with p_0 = 0,
/// p_K = C; without them C is split into K equal parts.
/// Backward: the bottom diff is the tops' diffs side by side.
public final class SliceLayer: Layer {
    public private(set) var axis = 1
    public private(set) var outerCount = 0, innerCount = 0
    /// Size along the axis of each top, at the last reshape.
    public private(set) var sizes: [Int] = []

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.sliceParam
        guard !(p.hasAxis && p.hasSliceDim) else {
            throw SwiftCaffeError.invalid("slice_param.slice_dim",
                "give either axis or the legacy slice_dim, not both")
        }
        var previous: UInt32 = 0
        for (i, point) in p.slicePoint.enumerated() {
            guard point > previous else {
                throw SwiftCaffeError.invalid("slice_param.slice_point",
                    "slice points must be positive and increasing: slice_point \(i) is \(point) after \(previous)",
                    hint: "e.g. slice_point: 2 slice_point: 5 for three tops")
            }
            previous = point
        }
        if !p.slicePoint.isEmpty, !param.top.isEmpty, p.slicePoint.count != param.top.count - 1 {
            throw SwiftCaffeError.invalid("slice_param.slice_point",
                "\(p.slicePoint.count) slice points for \(param.top.count) tops; give one fewer than the tops")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = param.sliceParam
        let input = bottom[0]
        guard !top.contains(where: { $0 === input }) else {
            throw shapeError("Slice cannot compute in place", hint: "give its tops new names")
        }
        axis = p.hasSliceDim
            ? Int(p.sliceDim)
            : try canonicalAxis(p.axis, numAxes: input.numAxes, field: "slice_param.axis")
        guard axis < input.numAxes else {
            throw SwiftCaffeError.invalid("slice_param.slice_dim", "slice_dim \(axis) is out of range for \(input.shapeString)")
        }
        let length = input.dim(axis)
        var sizes: [Int] = []
        if p.slicePoint.isEmpty {
            guard length % top.count == 0 else {
                throw shapeError("\(top.count) tops do not divide axis \(axis) of \(input.shapeString) (\(length)) "
                                 + "into equal parts", hint: "give slice_point values for unequal parts")
            }
            sizes = Array(repeating: length / top.count, count: top.count)
        } else {
            guard p.slicePoint.count == top.count - 1 else {
                throw SwiftCaffeError.invalid("slice_param.slice_point",
                    "\(p.slicePoint.count) slice points for \(top.count) tops; give one fewer than the tops")
            }
            var previous = 0
            for point in p.slicePoint.map({ Int($0) }) {
                sizes.append(point - previous)
                previous = point
            }
            guard previous < length else {
                throw SwiftCaffeError.invalid("slice_param.slice_point",
                    "slice point \(previous) is out of range for axis \(axis) of \(input.shapeString) (size \(length))",
                    hint: "slice points must be below \(length)")
            }
            sizes.append(length - previous)
        }
        self.sizes = sizes
        outerCount = input.count(from: 0, to: axis)
        innerCount = input.count(from: axis + 1)
        for (t, size) in zip(top, sizes) {
            var shape = input.shape
            shape[axis] = size
            try t.reshape(shape)
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data
        let bottomRow = bottom[0].dim(axis) * innerCount
        var offset = 0
        for k in 0..<top.count {   // index loops: array iterators allocate in debug builds
            let t = top[k], row = sizes[k] * innerCount
            ConcatLayer.copyRows(from: x + offset, stride: bottomRow, to: t.data, stride: row,
                                 rows: outerCount, width: row)
            offset += row
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff
        let bottomRow = bottom[0].dim(axis) * innerCount
        var offset = 0
        for k in 0..<top.count {
            let t = top[k], row = sizes[k] * innerCount
            ConcatLayer.copyRows(from: t.diff, stride: row, to: dx + offset, stride: bottomRow,
                                 rows: outerCount, width: row)
            offset += row
        }
    }
}
