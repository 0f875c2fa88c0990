import CaffeProto

/// Caffe's "Clip": y = min(max(x, min), max), clip_param.min and .max both required.
/// Backward: ∂x = ∂y where min ≤ x ≤ max (the bounds included, as Caffe), 0 elsewhere.
/// bottom and top: any shape, the same. Backward needs x (y = min cannot tell x = min
/// from x < min): in place, a copy of x is kept.
public final class ClipLayer: Layer {
    public let min: Float, max: Float
    private let inPlaceInput = InPlaceInput()

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.clipParam
        for (name, given, value) in [("min", p.hasMin, p.min), ("max", p.hasMax, p.max)] {
            guard given else {
                throw SwiftCaffeError.invalid("clip_param." + name, "Clip needs clip_param.\(name) (it has no default)",
                                              hint: "write 'clip_param { min: … max: … }'")
            }
            guard !value.isNaN else {
                throw SwiftCaffeError.invalid("clip_param." + name, "\(name) must be a number (got nan)")
            }
        }
        guard p.min <= p.max else {
            throw SwiftCaffeError.invalid("clip_param.min", "min \(p.min) is greater than max \(p.max)",
                                          hint: "give min ≤ max")
        }
        min = p.min
        max = p.max
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: true)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data, (low, high) = (min, max)
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = Swift.max(low, Swift.min(x[i], high)) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = inPlaceInput.input(bottom[0])
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff, (low, high) = (min, max)
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = x[i] >= low && x[i] <= high ? dy[i] : 0 }
        }
    }
}
