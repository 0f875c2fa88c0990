import CaffeProto

/// Changes a blob's shape without touching its values, Caffe's "Reshape".
///
/// `reshape_param.shape` replaces the axes [axis, axis + num_axes) of the bottom
/// (num_axes −1 = to the end); a 0 copies the bottom's dimension, one −1 is inferred.
/// bottom: any shape; top: the new shape, same count, same values in the same order.
/// Forward copies the data, backward copies the diff back.
public final class ReshapeLayer: Layer {
    public required init(param: Caffe_LayerParameter) throws {
        let dims = param.reshapeParam.shape.dim
        guard dims.filter({ $0 == -1 }).count <= 1 else {
            throw SwiftCaffeError.invalid("reshape_param.shape", "at most one dimension may be -1 (inferred)")
        }
        if let bad = dims.first(where: { $0 < -1 }) {
            throw SwiftCaffeError.invalid("reshape_param.shape", "dimension \(bad) is invalid; use ≥ 0, or -1 to infer")
        }
        guard param.reshapeParam.numAxes >= -1 else {
            throw SwiftCaffeError.invalid("reshape_param.num_axes", "num_axes must be ≥ -1")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("Reshape cannot compute in place", hint: "give its top a new name")
        }
        let p = param.reshapeParam
        let rank = input.numAxes
        let start = p.axis < 0 ? Int(p.axis) + rank + 1 : Int(p.axis)
        guard start >= 0, start <= rank else {
            throw SwiftCaffeError.invalid("reshape_param.axis", "axis \(p.axis) is out of range for \(input.shapeString)")
        }
        let end = p.numAxes == -1 ? rank : start + Int(p.numAxes)
        guard end <= rank else {
            throw SwiftCaffeError.invalid("reshape_param.num_axes",
                                          "axis \(start) + num_axes \(p.numAxes) goes past the \(rank) axes of \(input.shapeString)")
        }
        var middle: [Int] = []
        var inferred: Int?
        for (i, d) in p.shape.dim.enumerated() {
            switch d {
            case 0:
                guard start + i < rank else {
                    throw SwiftCaffeError.invalid("reshape_param.shape", "dim \(i) is 0 (copy) but the input has no axis \(start + i)")
                }
                middle.append(input.dim(start + i))
            case -1:
                inferred = middle.count
                middle.append(1)
            default:
                middle.append(Int(d))
            }
        }
        var shape = Array(input.shape[..<start]) + middle + Array(input.shape[end...])
        let known = shape.reduce(1, *)
        if let inferred {
            guard known > 0, input.count % known == 0 else {
                throw shapeError("cannot infer dimension: \(input.count) values do not divide into \(known)")
            }
            shape[start + inferred] = input.count / known
        }
        guard shape.reduce(1, *) == input.count else {
            throw shapeError("cannot reshape \(input.shapeString) (\(input.count) values) to \(Blob.describe(shape))")
        }
        try top[0].reshape(shape)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        FlattenLayer.copy(bottom[0].data, to: top[0].data, count: bottom[0].count)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        FlattenLayer.copy(top[0].diff, to: bottom[0].diff, count: bottom[0].count)
    }
}
