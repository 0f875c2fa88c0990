import CaffeProto

/// Caffe's "BatchReindex": gathers items along axis 0 by a list of indices.
///
/// bottoms: data N × … and indices, a vector of M values in [0, N); top: M × …, item m
/// a copy of data item indices[m] (an item may be taken several times or not at all).
/// Backward: each data item's diff is the sum of the diffs of the top items that copied
/// it (0 for items not taken). The indices get no gradient.
/// Unlike Caffe, which truncates, an index that is not a whole number is an error.
public final class BatchReindexLayer: Layer {
    /// Values per item (count(1) of the data) at the last reshape.
    public private(set) var itemSize = 0

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex == 0 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (data, indices) = (bottom[0], bottom[1])
        guard indices.numAxes == 1 else {
            throw shapeError("the indices (bottom 1) must be a vector, got \(indices.shapeString)",
                             hint: "give the indices one axis, e.g. shape { dim: 4 }")
        }
        guard data.numAxes >= 1 else {
            throw shapeError("the data (bottom 0) needs an item axis, got a scalar")
        }
        guard top[0] !== data, top[0] !== indices else {
            throw shapeError("BatchReindex cannot compute in place", hint: "give its top a new name")
        }
        itemSize = data.count(from: 1)
        try top[0].reshape([indices.dim(0)] + data.shape.dropFirst())
    }

    /// The data item of indices[position]: a whole number in [0, items), or an error naming it.
    private func item(_ value: Float, at position: Int, items: Int) throws -> Int {
        if value.rounded(.towardZero) == value, value >= 0, value < Float(items) { return Int(value) }
        throw shapeError("index \(value) at position \(position) of the indices is not an item of the data (0..<\(items))",
                         hint: "BatchReindex's second bottom holds item numbers along the data's first axis")
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, indices = bottom[1].data, y = top[0].data
        let (width, items) = (itemSize, bottom[0].dim(0))
        for m in 0..<bottom[1].count {
            let source = try item(indices[m], at: m, items: items)
            (y + m * width).update(from: x + source * width, count: width)
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[1] {
            throw shapeError("BatchReindex cannot backpropagate to its indices (bottom 1)",
                             hint: "set 'propagate_down: true propagate_down: false'")
        }
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff, dy = top[0].diff, indices = bottom[1].data
        let (width, items) = (itemSize, bottom[0].dim(0))
        dx.update(repeating: 0, count: bottom[0].count)
        // Serial: an item taken twice accumulates from two places.
        for m in 0..<bottom[1].count {
            let target = try dx + item(indices[m], at: m, items: items) * width, gradient = dy + m * width
            for j in 0..<width { target[j] += gradient[j] }
        }
    }
}
