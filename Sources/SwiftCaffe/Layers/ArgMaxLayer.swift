import CaffeProto

/// Caffe's "ArgMax": the indices (and optionally the values) of the top_k largest
/// inputs per example, or along one axis.
///
/// Without `axis`: each of the N examples (bottom viewed as N × D, D = count(1)) gives
/// its top_k indices in D; top shape has at least 3 axes, N × 1 × top_k (× 1 …), and
/// with `out_max_val` N × 2 × top_k: the indices, then the values.
/// With `axis`: the bottom's shape with shape[axis] = top_k, holding the indices, or the
/// values instead when `out_max_val`.
/// Ties are ordered as Caffe's sort of (value, index) pairs, largest first: between equal
/// values the larger index comes first. Indices are written as floats. No backward pass.
public final class ArgMaxLayer: Layer {
    public let topK: Int
    public let outMaxVal: Bool
    /// The axis from `argmax_param.axis`, resolved at reshape; nil: per example.
    public private(set) var axis: Int?
    /// Values compared per position (D or shape[axis]) and the distance between them.
    public private(set) var length = 0, stride = 1
    /// Per compared value: the index among the `length`, reordered by the partial sort.
    private let order = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.argmaxParam
        topK = Int(p.topK)
        guard topK >= 1 else {
            throw SwiftCaffeError.invalid("argmax_param.top_k", "top_k must be at least 1 (got \(p.topK))")
        }
        outMaxVal = p.outMaxVal
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { false }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("ArgMax cannot compute in place", hint: "give its top a new name")
        }
        guard input.numAxes >= 1 else {
            throw shapeError("ArgMax needs at least one axis (the examples), got a scalar")
        }
        var shape: [Int]
        if param.argmaxParam.hasAxis {
            let axis = try canonicalAxis(param.argmaxParam.axis, numAxes: input.numAxes, field: "argmax_param.axis")
            self.axis = axis
            length = input.dim(axis)
            stride = input.count(from: axis + 1)
            guard topK <= length else {
                throw SwiftCaffeError.invalid("argmax_param.top_k",
                    "top_k \(topK) is larger than axis \(axis) of \(input.shapeString) (\(length))",
                    hint: "use a top_k of at most \(length)")
            }
            shape = input.shape
            shape[axis] = topK
        } else {
            axis = nil
            length = input.count(from: 1)
            stride = 1
            guard topK <= length else {
                throw SwiftCaffeError.invalid("argmax_param.top_k",
                    "top_k \(topK) is larger than the \(length) values per example of \(input.shapeString)",
                    hint: "use a top_k of at most \(length)")
            }
            shape = Array(repeating: 1, count: max(3, input.numAxes))
            shape[0] = input.dim(0)
            shape[1] = outMaxVal ? 2 : 1
            shape[2] = topK
        }
        try top[0].reshape(shape)
        try order.reshape([length])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, order = self.order.data
        let (length, stride, topK) = (self.length, self.stride, self.topK)
        let positions = length == 0 ? 0 : bottom[0].count / length
        let perAxis = axis != nil
        // Caffe's std::greater on (value, index): larger value first, then larger index.
        func before(_ a: Int, _ b: Int, _ base: Int) -> Bool {
            let va = x[base + a * stride], vb = x[base + b * stride]
            return va > vb || (va == vb && a > b)
        }
        for p in 0..<positions {
            let base = (p / stride) * length * stride + p % stride
            // Partial selection sort: top_k is small (usually 1).
            for j in 0..<length { order[j] = Float(j) }
            for k in 0..<topK {
                var best = k
                for j in (k + 1)..<length where before(Int(order[j]), Int(order[best]), base) { best = j }
                (order[k], order[best]) = (order[best], order[k])
            }
            for k in 0..<topK {
                let index = Int(order[k])
                if perAxis {
                    let out = (p / stride) * topK * stride + k * stride + p % stride
                    y[out] = outMaxVal ? x[base + index * stride] : Float(index)
                } else if outMaxVal {
                    y[2 * p * topK + k] = Float(index)
                    y[2 * p * topK + topK + k] = x[base + index]
                } else {
                    y[p * topK + k] = Float(index)
                }
            }
        }
    }

    /// Caffe has no gradient for ArgMax (NOT_IMPLEMENTED): nothing to do unless one is asked for.
    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for i in 0..<propagateDown.count where propagateDown[i] {
            throw shapeError("ArgMax has no backward pass (asked for bottom \(i))",
                             hint: "ArgMax is not differentiable; do not back-propagate through it (propagate_down: false)")
        }
    }
}
