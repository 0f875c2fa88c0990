import MallocCounter
import XCTest
@testable import SwiftCaffe

/// Counts the heap allocations of the threads that run a net: the calling thread and
/// the worker pool's threads (`Parallel`). Other threads of the test process — left
/// over from earlier tests — are not counted, and allocations OpenBLAS makes itself
/// are counted apart (`openBLAS`); see Tests/MallocCounter.
enum AllocationCounter {
    /// Every pool thread joins the counted set once: a parallel loop with one chunk per
    /// thread whose chunks wait for each other, so each thread runs exactly one.
    private static let workersTracked: Bool = {
        let participants = Parallel.threads
        for _ in 0..<3 {
            malloc_counter_barrier_reset()
            Parallel.forRanges(participants, workPerItem: Parallel.minimumPerThread) { _, _ in
                _ = malloc_counter_track_in_barrier(Int32(participants))
            }
            if malloc_counter_barrier_arrivals() >= participants { return true }
        }
        return false
    }()

    /// Skips the test in a sanitizer build: the sanitizer's allocator replaces malloc,
    /// so the counter (which interposes the C library's) is compiled out there.
    static func start(file: StaticString = #filePath, line: UInt = #line) throws {
        guard malloc_counter_available() != 0 else {
            throw XCTSkip("allocation counting is off in sanitizer builds (the sanitizer owns malloc)")
        }
        XCTAssertTrue(workersTracked, "the worker pool's threads could not be marked for counting",
                      file: file, line: line)
        malloc_counter_start()
    }

    /// Stops counting; the allocations since `start`, OpenBLAS's own excluded.
    static func stop() -> Int { Int(malloc_counter_stop()) }

    /// OpenBLAS's own allocations between the last start and stop.
    static var openBLAS: Int { Int(malloc_counter_openblas()) }
}
