import CaffeProto

/// Caffe's "Power": y = (shift + scale · x)^power. bottom and top: any shape, the same.
///
/// Caffe's special cases: power · scale = 0 makes y the constant 1 (power 0) or
/// shift^power, with a zero gradient; power 1 has the constant slope scale.
/// Backward: ∂x = ∂y · power · scale · (shift + scale·x)^(power−1), computed as
/// Caffe does from y (see `PowerFunction`). Works in place: when backward needs x
/// and x is overwritten, a copy of x is kept.
public final class PowerLayer: Layer {
    public let power: Float, scale: Float, shift: Float
    private let function: PowerFunction
    private let inPlaceInput = InPlaceInput()

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.powerParam
        for (name, value) in [("power", p.power), ("scale", p.scale), ("shift", p.shift)] where !value.isFinite {
            throw SwiftCaffeError.invalid("power_param." + name, "\(name) must be a finite number (got \(value))")
        }
        power = p.power
        scale = p.scale
        shift = p.shift
        function = PowerFunction(power: power, scale: scale, shift: shift)
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if top[0] !== bottom[0] { try top[0].reshape(like: bottom[0]) }
        let needsInput = function.diffScale != 0 && power != 1
        try inPlaceInput.reshape(bottom: bottom[0], top: top[0], needed: needsInput)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        inPlaceInput.save(bottom[0])
        let x = UnsafePointer(bottom[0].data), y = top[0].data, f = function
        if f.diffScale == 0 {
            top[0].fillData(f.constant)
            return
        }
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { y[i] = f.value(x[i]) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = inPlaceInput.input(bottom[0]), f = function
        let y = UnsafePointer(top[0].data), dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        Parallel.forRanges(bottom[0].count) { start, end in
            for i in start..<end { dx[i] = f.gradient(topDiff: dy[i], x: x[i], y: y[i]) }
        }
    }
}
