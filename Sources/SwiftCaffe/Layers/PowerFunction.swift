#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Caffe's PowerLayer as a scalar function: y = (shift + scale · x)^power, with the
/// same special cases and the same order of operations as Caffe's CPU code, so that
/// the Power layer and LRN's WITHIN_CHANNEL path give Caffe's numbers.
struct PowerFunction {
    let power: Float, scale: Float, shift: Float
    /// dy/dx's constant factor, power · scale (0 makes y a constant).
    let diffScale: Float

    init(power: Float, scale: Float, shift: Float) {
        self.power = power
        self.scale = scale
        self.shift = shift
        diffScale = power * scale
    }

    /// The value of y when `diffScale` is 0: 1 for power 0, shift^power otherwise.
    var constant: Float { power == 0 ? 1 : powf(shift, power) }

    @inline(__always)
    func value(_ x: Float) -> Float {
        if diffScale == 0 { return constant }
        var t = x
        if scale != 1 { t *= scale }
        if shift != 0 { t += shift }
        if power != 1 { t = powf(t, power) }
        return t
    }

    /// ∂E/∂x from ∂E/∂y = `topDiff`, the input `x` and the output `y`, as Caffe:
    /// constant y → 0; power 1 → diff_scale; power 2 → diff_scale·(shift + scale·x);
    /// shift 0 → power·y/x; otherwise diff_scale·y/(shift + scale·x).
    @inline(__always)
    func gradient(topDiff: Float, x: Float, y: Float) -> Float {
        if diffScale == 0 { return 0 }
        if power == 1 { return topDiff * diffScale }
        var d: Float
        if power == 2 {
            d = (diffScale * scale) * x
            if shift != 0 { d += diffScale * shift }
        } else if shift == 0 {
            if x == 0 {
                // Caffe divides 0 by 0 here (NaN); the true slope is diff_scale · (scale·x)^(power−1).
                d = diffScale * powf(0, power - 1)
            } else {
                d = y / x
                d *= power
            }
        } else {
            d = x
            if scale != 1 { d *= scale }
            d += shift
            d = y / d
            if diffScale != 1 { d *= diffScale }
        }
        return topDiff * d
    }
}
