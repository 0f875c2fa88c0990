/// Element-wise building blocks over raw pointers: loops by channel and copies
/// split over the cores (plain loops are `Parallel.forRanges`), aligned scratch
/// memory for non-Float masks (`ScratchBuffer`) and explicit 4-lane loops (`SIMD4Loop`).
enum ElementWise {
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
