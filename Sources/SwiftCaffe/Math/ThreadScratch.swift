#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scratch memory for the layers that run on one thread, shared between them.
///
/// Layers of a net run one after another, so a convolution's column matrix is dead
/// once its forward or backward returns; keeping one set of buffers per thread
/// instead of one per layer keeps memory at the largest layer's need. Buffers grow
/// to the largest size asked for and are then reused, so after the first iteration
/// nothing is allocated. Contents do not survive from one call to the next.
final class ThreadScratch {
    enum Slot: Int, CaseIterable {
        /// im2col of several images side by side: (C·kh·kw) × (images·H'·W').
        case columns
        /// A convolution's output or top gradient, images side by side: Cout × (images·H'·W').
        case gathered
        /// Ones, for sums by GEMV.
        case ones
    }

    private var buffers: [UnsafeMutablePointer<Float>?]
    private var capacities: [Int]

    private init() {
        buffers = Array(repeating: nil, count: Slot.allCases.count)
        capacities = Array(repeating: 0, count: Slot.allCases.count)
    }

    deinit {
        for buffer in buffers { buffer?.deallocate() }
    }

    /// The calling thread's scratch (created on first use, freed when the thread ends).
    static var current: ThreadScratch {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<ThreadScratch>.fromOpaque(existing).takeUnretainedValue()
        }
        let scratch = ThreadScratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<ThreadScratch>.fromOpaque(pointer).release()
        }
        return key
    }()

    /// At least `count` floats of `slot` (contents undefined, except `.ones`: all 1).
    func buffer(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        let i = slot.rawValue
        if let buffer = buffers[i], capacities[i] >= count { return buffer }
        buffers[i]?.deallocate()
        let capacity = max(count, 1)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        buffer.initialize(repeating: slot == .ones ? 1 : 0, count: capacity)
        buffers[i] = buffer
        capacities[i] = capacity
        return buffer
    }
}
