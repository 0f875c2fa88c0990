/// The random numbers of a net: fillers, dropout masks, data shuffling, crops.
///
/// xoshiro256** (Blackman & Vigna): fast, 256 bits of state that can be saved in a
/// solverstate and restored, so a resumed run draws exactly the numbers the
/// uninterrupted run would have. One instance is shared by a net's layers.
public final class RandomSource {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    /// A second normal deviate left over from Box–Muller, kept for the next call.
    private var spareNormal: Float?

    public init(seed: UInt64) {
        state = RandomSource.expand(seed)
    }

    /// Starts the sequence of `seed` again, as a new `RandomSource(seed:)` would,
    /// without allocating (the data transformer reseeds once per example).
    public func reseed(_ seed: UInt64) {
        state = RandomSource.expand(seed)
        spareNormal = nil
    }

    /// Reseeds for example number `position` of a data layer whose seed is `seed`:
    /// each example gets its own sequence (crop, flip, lighting), whichever thread
    /// or batch it is transformed in, and again after resuming.
    public func reseed(forExample position: Int64, layerSeed seed: UInt64) {
        reseed(seed ^ (UInt64(bitPattern: position) &* 0xD1B5_4A32_D192_ED03))
    }

    /// SplitMix64 spreads any seed (even 0) over the four words.
    private static func expand(_ seed: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        var x = seed
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (next(), next(), next(), next())
    }

    /// The full state, for snapshots: four words of state, then the spare normal (as bits, or 0 with flag).
    public var savedState: [UInt64] {
        [state.0, state.1, state.2, state.3, spareNormal == nil ? 0 : 1, UInt64(spareNormal?.bitPattern ?? 0)]
    }

    public func restore(_ saved: [UInt64]) throws {
        guard saved.count == 6 else {
            throw SwiftCaffeError(.io, "random state has \(saved.count) words, expected 6")
        }
        state = (saved[0], saved[1], saved[2], saved[3])
        spareNormal = saved[4] == 0 ? nil : Float(bitPattern: UInt32(truncatingIfNeeded: saved[5]))
    }

    @inline(__always)
    public func nextUInt64() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits (every Float in that grid is equally likely).
    @inline(__always)
    public func nextUnitFloat() -> Float { Float(nextUInt64() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [low, high).
    @inline(__always)
    public func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextUnitFloat() }

    /// Uniform integer in 0..<bound (bound > 0), without modulo bias.
    public func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let threshold = (0 &- b) % b
        while true {
            let r = nextUInt64()
            if r >= threshold { return Int(r % b) }
        }
    }

    /// Normal with the given mean and standard deviation (Box–Muller, in Double).
    public func normal(mean: Float = 0, std: Float = 1) -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return mean + std * spare
        }
        var u1 = 0.0
        repeat { u1 = Double(nextUInt64() >> 11) * (1.0 / 9_007_199_254_740_992.0) } while u1 <= 0
        let u2 = Double(nextUInt64() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2 * _log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = Float(radius * _sin(angle))
        return mean + std * Float(radius * _cos(angle))
    }

    /// True with probability p.
    @inline(__always)
    public func bernoulli(_ p: Float) -> Bool { nextUnitFloat() < p }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
