import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits large element-wise loops over the cores. Small loops run inline: below
/// `minimumPerThread` elements the cost of waking a thread exceeds the work.
///
/// Work goes to a fixed pool of worker threads started once (`WorkerPool`), not to
/// Dispatch: `concurrentPerform` allocates on every call, and the hot path must not.
///
/// The bodies run on several threads at once and are not `@Sendable` (they capture the
/// blobs' raw pointers), so the compiler cannot check them: a call must write only the
/// elements of its own chunk (or item) and read nothing another chunk writes.
public enum Parallel {
    public static let minimumPerThread = 1 << 15
    /// Threads used, the caller included: by default the cores this process may run on
    /// (2 on the reference machine; 1 for each rank of `mpirun --bind-to core`, as
    /// OpenBLAS does); `setThreads` (`--threads`) changes it.
    public static var threads: Int { WorkerPool.shared.threadCount }

    /// Sets the threads of later parallel loops (the caller included; at least 1).
    /// Workers are started when the count grows and parked, not ended, when it shrinks.
    /// Waits for a loop running on another thread to finish.
    public static func setThreads(_ count: Int) { WorkerPool.shared.setThreadCount(count) }

    /// The cores of this process's affinity mask (all online cores where it cannot be
    /// read). Linux: the `Cpus_allowed` hex mask of /proc/self/status (Glibc's
    /// sched_getaffinity is not visible to Swift).
    static func usableCores() -> Int {
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return online }
        let count = line.dropFirst("Cpus_allowed:".count).reduce(0) { total, digit in
            total + (digit.hexDigitValue?.nonzeroBitCount ?? 0)
        }
        return min(max(count, 1), online)
    }

    /// The one parallel loop: calls `body(start, end)` on disjoint chunks covering
    /// 0..<count, one chunk per thread, each with at least `minimumPerThread`
    /// elements of work (index i stands for `workPerItem` elements); less work
    /// runs inline on the calling thread.
    @inline(__always)
    public static func forRanges(_ count: Int, workPerItem: Int = 1, _ body: (Int, Int) -> Void) {
        let chunks = min(threads, count, count * workPerItem / minimumPerThread)
        if chunks <= 1 {
            body(0, count)
            return
        }
        let size = (count + chunks - 1) / chunks
        WorkerPool.shared.run(chunks) { c in
            let start = c * size
            body(start, min(count, start + size))
        }
    }

    /// `forRanges` one index at a time: calls `body(i)` for i in 0..<count (items such
    /// as planes or rows of `workPerItem` elements each).
    @inline(__always)
    public static func forEach(_ count: Int, workPerItem: Int, _ body: (Int) -> Void) {
        forRanges(count, workPerItem: workPerItem) { start, end in
            for i in start..<end { body(i) }
        }
    }
}

/// A fixed set of worker threads that run chunks of one job at a time; the calling
/// thread runs chunks too and returns when all are done. Nothing is allocated per job.
// @unchecked Sendable: the compiler cannot see pthread mutexes. `threadCount` and the
// pointers are `let`s set before any worker starts (pthread_create orders that); every
// `var` and the job in `slot` are read and written only with `mutex` held. The job's
// closure is not Sendable: like DispatchQueue.concurrentPerform's, it is called at once
// on several threads with disjoint chunks (the callers' contract: a chunk writes only
// what it owns), and `run` returns only after `pending` reached 0 under `mutex`, so no
// worker touches the closure or the caller's memory after the call.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(threads: Parallel.usableCores())

    /// Threads of a job, the caller included. Atomic because every parallel loop reads
    /// it without a lock; it changes only while `callerMutex` is held (no job runs).
    private let activeThreads: Atomic<Int>
    var threadCount: Int { activeThreads.load(ordering: .relaxed) }
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Serializes callers: one job at a time (nested calls run inline).
    private let callerMutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    /// The caller's closure while a job runs. A struct with a concrete function field,
    /// so storing it needs no reabstraction thunk (which would allocate).
    private struct Job { var body: (Int) -> Void }
    private let slot = UnsafeMutablePointer<Job>.allocate(capacity: 1)
    private var hasJob = false
    private var generation = 0
    private var nextChunk = 0
    private var chunkCount = 0
    private var pending = 0
    /// Workers that take part in jobs (threadCount - 1); workers with a higher index
    /// are parked. `startedWorkers` threads exist.
    private var activeWorkers = 0
    private var startedWorkers = 0

    init(threads: Int) {
        activeThreads = Atomic(max(threads, 1))
        pthread_mutex_init(mutex, nil)
        pthread_mutex_init(callerMutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
        pthread_mutex_lock(mutex)
        startWorkers(upTo: max(threads, 1) - 1)
        pthread_mutex_unlock(mutex)
    }

    /// Starts workers until `count` exist and makes the first `count` take part. `mutex` held.
    private func startWorkers(upTo count: Int) {
        while startedWorkers < count {
            let index = startedWorkers
            startedWorkers += 1
            // The worker's index travels in a small heap box (once per thread, not per job).
            let box = UnsafeMutablePointer<(WorkerPool, Int)>.allocate(capacity: 1)
            box.initialize(to: (self, index))
            var thread = pthread_t()
            pthread_create(&thread, nil, { raw in
                let box = raw!.assumingMemoryBound(to: (WorkerPool, Int).self)
                let (pool, index) = box.move()
                box.deallocate()
                pool.workerLoop(index: index)
                return nil
            }, box)
            pthread_detach(thread)
        }
        activeWorkers = count
    }

    /// Changes the threads of later jobs; waits for a running job to finish.
    func setThreadCount(_ count: Int) {
        let threads = max(count, 1)
        pthread_mutex_lock(callerMutex)
        pthread_mutex_lock(mutex)
        if threads - 1 > startedWorkers {
            startWorkers(upTo: threads - 1)
        } else {
            activeWorkers = threads - 1
        }
        activeThreads.store(threads, ordering: .relaxed)
        pthread_mutex_unlock(mutex)
        pthread_mutex_unlock(callerMutex)
    }

    /// Runs `body(0..<chunks)` across the pool and the caller; returns when all are done.
    func run(_ chunks: Int, _ body: (Int) -> Void) {
        // A job started from inside a job (or while another caller's job runs) runs inline.
        guard pthread_mutex_trylock(callerMutex) == 0 else {
            for c in 0..<chunks { body(c) }
            return
        }
        defer { pthread_mutex_unlock(callerMutex) }
        withoutActuallyEscaping(body) { escapable in
            pthread_mutex_lock(mutex)
            slot.initialize(to: Job(body: escapable))
            hasJob = true
            nextChunk = 0
            chunkCount = chunks
            pending = chunks
            generation &+= 1
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            runChunks()
            pthread_mutex_lock(mutex)
            while pending > 0 { pthread_cond_wait(finished, mutex) }
            hasJob = false
            slot.deinitialize(count: 1)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Takes chunks of the current job until none are left.
    private func runChunks() {
        while let chunk = takeChunk() {
            execute(chunk)
            pthread_mutex_lock(mutex)
            pending -= 1
            if pending == 0 { pthread_cond_signal(finished) }
            pthread_mutex_unlock(mutex)
        }
    }

    private func takeChunk() -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard hasJob, nextChunk < chunkCount else { return nil }
        nextChunk += 1
        return nextChunk - 1
    }

    /// Runs one chunk. Its own frame, so the reference to the job is released when it
    /// returns — before the chunk is counted done and the caller's closure goes away.
    @inline(never)
    private func execute(_ chunk: Int) {
        pthread_mutex_lock(mutex)
        let work = slot.pointee.body
        pthread_mutex_unlock(mutex)
        work(chunk)
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            pthread_mutex_lock(mutex)
            // A parked worker (index beyond the thread count) sleeps through jobs.
            while generation == seen || index >= activeWorkers { pthread_cond_wait(wake, mutex) }
            seen = generation
            pthread_mutex_unlock(mutex)
            runChunks()
        }
    }
}
