import Dispatch
import Foundation
import Synchronization

/// Fills batches on a background thread so the solver never waits for decoding
/// (Caffe's BasePrefetchingDataLayer). A ring of `depth` preallocated batches: the
/// producer fills slot p, the consumer reads slot c, both in order; two semaphores
/// count the free and the filled slots. Nothing is allocated per batch.
///
/// If filling throws, the error travels in the slot and is thrown by `next()`; the
/// producer then stops, and every later `next()` throws the same error.
// @unchecked Sendable: only the producer thread's closure shares it, and the compiler
// cannot see the semaphore hand-offs that make that safe. `produced` and `fill` (with the
// reader it captures) are the producer's alone while it runs: the consumer starts it
// after positioning the reader and touches the reader again only after `stop()`, whose
// `finished.wait()` orders it after the producer's last step. `consumed`, `holding`,
// `running` and `failure` are the consumer's alone (the layer's thread). Slot k is written
// (data, labels, error) by the producer only between `free.wait()` and `filled.signal()`,
// and read by the consumer only between `filled.wait()` and `free.signal()` (in
// `release()`). `stopping` is read without a hand-off, so it is an atomic.
final class BatchPrefetcher: @unchecked Sendable {
    /// One batch: `data` and (optionally empty) `labels`, plus the error that stopped filling.
    final class Slot {
        let data: UnsafeMutableBufferPointer<Float>
        let labels: UnsafeMutableBufferPointer<Float>
        var error: Error?

        init(dataCount: Int, labelCount: Int) {
            data = .allocate(capacity: dataCount)
            data.initialize(repeating: 0)
            labels = .allocate(capacity: labelCount)
            labels.initialize(repeating: 0)
        }

        deinit {
            data.deallocate()
            labels.deallocate()
        }
    }

    typealias Fill = (Slot) throws -> Void

    private let slots: [Slot]
    private let fill: Fill
    private let free: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var produced = 0
    private var consumed = 0
    private var holding = false
    private let stopping = Atomic<Bool>(false)  // set by the consumer, read by the producer after each wait
    private var running = false
    private var failure: Error?

    /// `fill` runs on the background thread only, one slot at a time.
    init(depth: Int, dataCount: Int, labelCount: Int, fill: @escaping Fill) {
        slots = (0..<max(depth, 1)).map { _ in Slot(dataCount: dataCount, labelCount: labelCount) }
        // Start at 0 and signal up: libdispatch traps when a semaphore is destroyed
        // with a value below the one it was created with.
        free = DispatchSemaphore(value: 0)
        for _ in slots { free.signal() }
        self.fill = fill
    }

    deinit { stop() }

    func start() {
        guard !running else { return }
        running = true
        let thread = Thread { [self] in produce() }
        thread.name = "swiftcaffe.prefetch"
        thread.start()
    }

    private func produce() {
        while true {
            free.wait()
            if stopping.load(ordering: .relaxed) { break }
            let slot = slots[produced % slots.count]
            do {
                try fill(slot)
            } catch {
                slot.error = error
            }
            produced += 1
            filled.signal()
            if slot.error != nil { break }
        }
        finished.signal()
    }

    /// The next filled batch, waiting for it if needed. Call `release()` when done with it.
    func next() throws -> Slot {
        if let failure { throw failure }
        if !running { start() }
        filled.wait()
        let slot = slots[consumed % slots.count]
        if let error = slot.error {
            failure = error
            consumed += 1
            throw error
        }
        holding = true
        return slot
    }

    /// Hands the batch returned by `next()` back to the producer.
    func release() {
        guard holding else { return }
        holding = false
        consumed += 1
        free.signal()
    }

    /// Stops the producer thread and waits for it to finish its current batch.
    func stop() {
        guard running else { return }
        stopping.store(true, ordering: .relaxed)
        free.signal()  // wake a producer waiting for a free slot
        finished.wait()
        running = false
    }
}
