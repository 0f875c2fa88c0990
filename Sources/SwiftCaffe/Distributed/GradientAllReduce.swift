import CMPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sums the gradients of all ranks and divides by their number, overlapping with
/// backward (PyTorch DDP's buckets, Horovod's tensor fusion): the parameter blobs are
/// grouped, in the order backward completes them, into buckets of about `bucketBytes`;
/// as soon as the layers that produce a bucket's gradients have finished backward
/// (`layerFinishedBackward`), its non-blocking MPI_Iallreduce starts, while the earlier
/// layers still run. `finish()` (after backward) waits for the rest and scales by 1/N,
/// so every rank then holds the mean gradient: what one process computes with the
/// global batch, up to the order of the additions.
///
/// A bucket of one blob is summed in place in the blob's diff; a bucket of several is
/// copied into one preallocated buffer first (one message instead of many small ones).
/// Nothing is allocated per iteration.
public final class GradientAllReduce: BackwardObserver {
    /// A group of parameter blobs summed with one MPI call.
    struct Bucket {
        /// Indices into the parameters, in the order backward completes them.
        let params: [Int]
        /// Floats in all of them.
        let count: Int
        /// The bucket is complete once backward has passed this layer (the lowest index
        /// of the layers owning its parameters).
        let readyAfterLayer: Int
    }

    let world: MPIWorld
    let params: [Blob]
    let buckets: [Bucket]
    /// Start buckets during backward (false: all after backward, for measuring overlap).
    public let overlaps: Bool
    private let fused: [UnsafeMutablePointer<Float>?]
    private let requests: UnsafeMutablePointer<MPI_Request?>
    private var started = 0
    private var allDone = false
    /// Seconds spent in `finish()` waiting for sums not yet complete, over all iterations.
    public private(set) var waitSeconds = 0.0
    /// Iterations reduced so far.
    public private(set) var iterations = 0

    /// Floats summed per iteration.
    public var floatsPerIteration: Int { buckets.reduce(0) { $0 + $1.count } }
    public var bucketCount: Int { buckets.count }

    /// - Parameters:
    ///   - params: the net's learnable blobs (`Net.learnableParams`).
    ///   - owners: for each of them, the indices of the layers that use it.
    public init(world: MPIWorld, params: [Blob], owners: [[Int]], bucketBytes: Int, overlaps: Bool = true) {
        self.world = world
        self.params = params
        self.overlaps = overlaps
        let ready = owners.map { $0.min() ?? 0 }
        buckets = Self.plan(counts: params.map(\.count), readyAfterLayer: ready,
                            bucketFloats: max(bucketBytes / MemoryLayout<Float>.size, 1))
        fused = buckets.map { bucket in
            guard bucket.params.count > 1 else { return nil }
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: bucket.count)
            buffer.initialize(repeating: 0, count: bucket.count)
            return buffer
        }
        requests = .allocate(capacity: max(buckets.count, 1))
        requests.initialize(repeating: swiftcaffe_mpi_request_null(), count: max(buckets.count, 1))
    }

    deinit {
        for buffer in fused { buffer?.deallocate() }
        requests.deallocate()
    }

    /// Groups parameters into buckets: in the order backward completes them (highest
    /// `readyAfterLayer` first), each bucket filled up to `bucketFloats` (a larger blob
    /// is a bucket of its own).
    static func plan(counts: [Int], readyAfterLayer: [Int], bucketFloats: Int) -> [Bucket] {
        let order = counts.indices.sorted { a, b in
            readyAfterLayer[a] != readyAfterLayer[b] ? readyAfterLayer[a] > readyAfterLayer[b] : a > b
        }
        var buckets: [Bucket] = []
        var current: [Int] = [], size = 0
        func close() {
            guard !current.isEmpty else { return }
            buckets.append(Bucket(params: current, count: size,
                                  readyAfterLayer: current.map { readyAfterLayer[$0] }.min() ?? 0))
            current = []
            size = 0
        }
        for p in order where counts[p] > 0 {
            if !current.isEmpty && size + counts[p] > bucketFloats { close() }
            current.append(p)
            size += counts[p]
        }
        close()
        return buckets
    }

    /// Called by the net after layer `index`'s backward: starts the buckets it
    /// completed and lets MPI progress the ones in flight.
    public func layerFinishedBackward(_ index: Int) {
        guard overlaps else { return }
        // Errors of MPI calls end the job (MPI_ERRORS_ARE_FATAL); `finish()` re-checks.
        while started < buckets.count && buckets[started].readyAfterLayer >= index {
            try? start(started)
            started += 1
        }
        if started > 0 && !allDone { allDone = (try? world.poll(requests, count: started)) ?? false }
    }

    /// After backward: starts what is left, waits for every sum and divides by the
    /// number of ranks.
    public func finish() throws {
        while started < buckets.count {
            try start(started)
            started += 1
        }
        let begin = Self.now()
        try world.wait(requests, count: buckets.count)
        waitSeconds += Self.now() - begin
        let scale = 1 / Float(world.size)
        for b in buckets.indices {
            let bucket = buckets[b]
            if let buffer = fused[b] {
                var offset = 0
                for k in bucket.params.indices {
                    let blob = params[bucket.params[k]], diff = blob.diff, n = blob.count
                    let source = buffer + offset
                    for i in 0..<n { diff[i] = source[i] * scale }
                    offset += n
                }
            } else {
                let blob = params[bucket.params[0]], diff = blob.diff
                for i in 0..<blob.count { diff[i] *= scale }
            }
        }
        started = 0
        allDone = false
        iterations += 1
    }

    private func start(_ b: Int) throws {
        let bucket = buckets[b]
        if let buffer = fused[b] {
            var offset = 0
            for k in bucket.params.indices {
                let blob = params[bucket.params[k]]
                (buffer + offset).update(from: blob.diff, count: blob.count)
                offset += blob.count
            }
            try world.startSum(buffer, count: bucket.count, request: requests + b)
        } else {
            try world.startSum(params[bucket.params[0]].diff, count: bucket.count, request: requests + b)
        }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
