import MallocCounter
import XCTest
@testable import SwiftCaffe

final class ParallelTests: XCTestCase {
    func testForRangesCoversEveryIndexOnce() {
        let count = Parallel.minimumPerThread * 5 + 17
        var hits = [Int32](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { buffer in
            let pointer = buffer.baseAddress!
            Parallel.forRanges(count) { start, end in
                for i in start..<end { pointer[i] += 1 }
            }
        }
        XCTAssertEqual(hits.filter { $0 != 1 }.count, 0)
    }

    func testForEachRunsEveryItemAndNestedCallsRunInline() {
        let count = 64
        var sums = [Int](repeating: 0, count: count)
        sums.withUnsafeMutableBufferPointer { buffer in
            let pointer = buffer.baseAddress!
            Parallel.forEach(count, workPerItem: Parallel.minimumPerThread) { i in
                // A nested parallel loop must not deadlock.
                Parallel.forRanges(Parallel.minimumPerThread * 2) { start, end in
                    pointer[i] += end - start
                }
            }
        }
        XCTAssertEqual(Set(sums), [Parallel.minimumPerThread * 2])
    }

    /// The pool itself allocates nothing per job; the Swift runtime still allocates one
    /// small closure context per call when a non-escaping closure crosses threads
    /// (withoutActuallyEscaping). This pins that bound so it cannot grow unnoticed.
    func testParallelLoopsAllocateAtMostOneContextPerCall() throws {
        let count = Parallel.minimumPerThread * 4
        let data = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { data.deallocate() }
        data.initialize(repeating: 1, count: count)
        Parallel.forRanges(count) { s, e in for i in s..<e { data[i] *= 2 } }  // warm up
        try AllocationCounter.start()
        for _ in 0..<10 {
            Parallel.forRanges(count) { s, e in for i in s..<e { data[i] *= 0.5 } }
        }
        XCTAssertLessThanOrEqual(AllocationCounter.stop(), 10)
        XCTAssertEqual(data[count - 1], 2.0 / 1024)
    }
}
