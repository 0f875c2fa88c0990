#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shared pieces of the element-wise (neuron) and pooling/LRN layers: parallel loops
/// over raw pointers (plain and by channel), Caffe's Power function (`PowerFunction`),
/// the saved input of in-place layers (`InPlaceInput`), aligned scratch memory for
/// non-Float masks (`ScratchBuffer`) and explicit 4-lane loops (`SIMD4Loop`).
enum ElementWise {
    /// Calls `body(start, end)` on disjoint ranges covering 0..<count, split over
    /// the cores when the count is large (`Parallel.forRanges`).
    @inline(__always)
    static func forRanges(_ count: Int, _ body: (Int, Int) -> Void) {
        Parallel.forRanges(count, body)
    }

    /// For an N × C × D layout (D = `inner`, the elements of one channel of one
    /// sample), calls `body(start, end, channel)` on runs of consecutive elements
    /// that share a channel, covering 0..<count, split over the cores when large.
    static func forChannelRuns(count: Int, channels: Int, inner: Int, _ body: (Int, Int, Int) -> Void) {
        guard inner > 0, channels > 0 else { return }
        Parallel.forRanges(count) { start, end in
            var i = start
            while i < end {
                let plane = i / inner
                let stop = min(end, (plane + 1) * inner)
                body(i, stop, plane % channels)
                i = stop
            }
        }
    }

    /// Copies `count` floats (a no-op when source and destination are the same memory).
    @inline(__always)
    static func copy(_ count: Int, from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>) {
        if UnsafePointer(destination) == source { return }
        Parallel.forRanges(count) { start, end in
            (destination + start).update(from: source + start, count: end - start)
        }
    }
}

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

/// Aligned, reused scratch memory of a non-Float element type (e.g. Int32 argmax
/// indices). Grows on demand, never shrinks, freed with the owner.
final class ScratchBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity = 0

    init(fill: Element) {
        pointer = Self.allocate(1)
        pointer.initialize(to: fill)
        capacity = 1
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    /// Makes room for `count` elements; after growing, the contents are `fill`.
    func reserve(_ count: Int, fill: Element) {
        guard count > capacity else { return }
        UnsafeMutableRawPointer(pointer).deallocate()
        pointer = Self.allocate(count)
        capacity = count
        pointer.initialize(repeating: fill, count: count)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Element> {
        let bytes = max(count, 1) * MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: max(Blob.alignment, MemoryLayout<Element>.alignment))
        return raw.bindMemory(to: Element.self, capacity: max(count, 1))
    }
}

/// A copy of a layer's input x for layers whose backward needs x when they run in
/// place (top === bottom), where forward overwrites x with y — Caffe's
/// `bottom_memory_`. Inactive (no memory, no copy) out of place.
final class InPlaceInput {
    private let saved = Blob(1)
    private(set) var active = false

    /// Called from the layer's `reshape`; `needed` says whether backward needs x.
    func reshape(bottom: Blob, top: Blob, needed: Bool) throws {
        active = needed && top === bottom
        if active { try saved.reshape(like: bottom) }
    }

    /// Saves x at the start of forward (when active).
    func save(_ bottom: Blob) {
        if active { ElementWise.copy(bottom.count, from: bottom.data, to: saved.data) }
    }

    /// The x to differentiate at: the saved copy when active, else the bottom's data.
    func input(_ bottom: Blob) -> UnsafePointer<Float> {
        UnsafePointer(active ? saved.data : bottom.data)
    }
}

/// Explicit 4-lane loops over raw pointers, for loops the compiler does not vectorize
/// by itself (selects with index bookkeeping, square roots). SSE width, so they need
/// no wider instruction set than the baseline x86-64.
enum SIMD4Loop {
    @inline(__always)
    static func load<T: SIMDScalar>(_ p: UnsafePointer<T>) -> SIMD4<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<T>.self)
    }

    @inline(__always)
    static func load<T: SIMDScalar>(_ p: UnsafeMutablePointer<T>) -> SIMD4<T> { load(UnsafePointer(p)) }

    @inline(__always)
    static func store<T: SIMDScalar>(_ v: SIMD4<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<T>.self)
    }

    /// Calls `vector(i)` for i = 0, 4, 8, … covering 0..<count, the last step
    /// overlapping the previous one (callers' updates are idempotent); below 4
    /// elements calls `scalar(i)` for each.
    @inline(__always)
    static func run(_ count: Int, _ vector: (Int) -> Void, scalar: (Int) -> Void) {
        guard count >= 4 else {
            for i in 0..<count { scalar(i) }
            return
        }
        var i = 0
        while i + 4 <= count { vector(i); i += 4 }
        if i < count { vector(count - 4) }
    }
}
