import CaffeProto

/// Caffe's "Filter": passes on the items (rows along axis 0) whose selector is not 0.
///
/// bottoms: data_1 … data_K (any shapes with the same first dimension N) and last the
/// selector, N × 1 × … (every axis after the first a singleton); tops: K, top k the
/// selected rows of data_k in their order. Which rows pass depends on the selector's
/// values, so the first reshape (at setup, before any data exists) keeps all N rows as
/// Caffe does, later reshapes and every forward use the selector (forward reshapes its
/// tops when the selection changes their size).
/// Backward: each selected row's diff goes back to its place, the other rows get 0.
/// The selector gets no gradient.
public final class FilterLayer: Layer {
    /// Whether `reshape` has run before (the first one cannot read the selector).
    private var reshapedOnce = false
    /// The selected rows (as floats), in order; `selectedCount` of them are valid.
    private let selected = Blob(0)
    public private(set) var selectedCount = 0

    public override var bottomCountRange: ClosedRange<Int> { 2...Int.max }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != param.bottom.count - 1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        guard top.count == bottom.count - 1 else {
            throw SwiftCaffeError.invalid("top",
                "Filter needs one top per data bottom (\(bottom.count - 1), the selector is the last bottom), "
                + "got \(top.count)")
        }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let selector = bottom[bottom.count - 1]
        guard selector.numAxes >= 1, selector.shape.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw shapeError("the selector (last bottom) must be N × 1 × …, got \(selector.shapeString)",
                             hint: "every axis of the selector but the first must be 1")
        }
        let n = selector.dim(0)
        for k in 0..<(bottom.count - 1) {
            guard bottom[k].numAxes >= 1, bottom[k].dim(0) == n else {
                throw shapeError("bottom \(k) (\(bottom[k].shapeString)) must have the selector's first dimension \(n)")
            }
            guard top[k] !== bottom[k] else {
                throw shapeError("Filter cannot compute in place", hint: "give its tops new names")
            }
        }
        try selected.reshape([n])
        if reshapedOnce {
            select(selector)
        } else {
            // Caffe's first_reshape_: the selector holds no data yet; assume all rows pass.
            reshapedOnce = true
            let rows = selected.data
            for i in 0..<n { rows[i] = Float(i) }
            selectedCount = n
        }
        for k in 0..<top.count { try shapeTop(top[k], like: bottom[k]) }
    }

    /// The rows whose selector value is not zero.
    private func select(_ selector: Blob) {
        let values = selector.data, rows = selected.data
        var count = 0
        for i in 0..<selector.dim(0) where values[i] != 0 {
            rows[count] = Float(i)
            count += 1
        }
        selectedCount = count
    }

    /// `top` takes `bottom`'s shape with `selectedCount` rows (left alone when it has them).
    private func shapeTop(_ top: Blob, like bottom: Blob) throws {
        if top.numAxes == bottom.numAxes, top.dim(0) == selectedCount, top.count == selectedCount * bottom.count(from: 1) {
            return
        }
        var shape = bottom.shape
        shape[0] = selectedCount
        try top.reshape(shape)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        select(bottom[bottom.count - 1])
        let rows = selected.data
        for k in 0..<top.count {
            try shapeTop(top[k], like: bottom[k])
            let x = bottom[k].data, y = top[k].data
            let width = bottom[k].count(from: 1)
            for r in 0..<selectedCount {
                (y + r * width).update(from: x + Int(rows[r]) * width, count: width)
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[bottom.count - 1] {
            throw shapeError("Filter cannot backpropagate to its selector (the last bottom)",
                             hint: "set 'propagate_down: false' for the selector")
        }
        let rows = selected.data
        for k in 0..<top.count where propagateDown[k] {
            let dx = bottom[k].diff, dy = top[k].diff
            let width = bottom[k].count(from: 1)
            dx.update(repeating: 0, count: bottom[k].count)
            for r in 0..<selectedCount {
                (dx + Int(rows[r]) * width).update(from: dy + r * width, count: width)
            }
        }
    }
}
