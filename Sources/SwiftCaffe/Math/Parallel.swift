import Dispatch

/// Splits large element-wise loops over the cores. Small loops run inline: below
/// `minimumPerThread` elements the cost of waking a thread exceeds the work.
public enum Parallel {
    public static let minimumPerThread = 1 << 15
    /// Worker count; the machine's cores (2 on the reference machine).
    nonisolated(unsafe) public static var threads = max(1, ProcessInfoCores.count)

    /// Calls `body(start, end)` on disjoint chunks covering 0..<count.
    @inline(__always)
    public static func forRanges(_ count: Int, _ body: (Int, Int) -> Void) {
        let chunks = min(threads, count / minimumPerThread)
        if chunks <= 1 {
            body(0, count)
            return
        }
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            body(start, min(count, start + size))
        }
    }

    /// Calls `body(i)` for i in 0..<count, spreading iterations over the cores when
    /// each iteration is at least `grain` elements of work.
    @inline(__always)
    public static func forEach(_ count: Int, workPerItem: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count <= 1 || count * workPerItem < minimumPerThread {
            for i in 0..<count { body(i) }
            return
        }
        let chunks = min(threads, count)
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            for i in start..<min(count, start + size) { body(i) }
        }
    }
}

/// Online core count without Foundation.
enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}
#if canImport(Glibc)
import Glibc
#endif
