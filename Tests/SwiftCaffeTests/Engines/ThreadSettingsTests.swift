import Foundation
import XCTest
@testable import SwiftCaffe

/// `--threads N` reaches oneDNN's OpenMP threads, OpenBLAS's and the worker pool, each
/// asked back from its own library.
final class ThreadSettingsTests: XCTestCase {
    /// Sets every pool, checks each, and puts the process's default back (other tests
    /// run with one thread per core).
    func testSetReachesAllThreePools() throws {
        let original = Parallel.threads
        defer { try? ThreadSettings.set(original) }
        for count in [1, 3, 2] {
            try ThreadSettings.set(count)
            let current = ThreadSettings.current
            XCTAssertEqual(current.workerPool, count)
            XCTAssertEqual(current.openBLAS, count)
            // libgomp is loaded with libdnnl.
            XCTAssertEqual(current.openMP, count)
            XCTAssertEqual(current.description,
                           "oneDNN (OpenMP) \(count), OpenBLAS \(count), worker pool \(count)")
        }
    }

    /// A parallel loop after the pool shrank and grew again still covers every index
    /// once, in at most `threads` chunks.
    func testWorkerPoolResizesBetweenLoops() throws {
        let original = Parallel.threads
        defer { Parallel.setThreads(original) }
        for count in [1, 4, 2, 3] {
            Parallel.setThreads(count)
            XCTAssertEqual(Parallel.threads, count)
            let n = Parallel.minimumPerThread * 6 + 5
            var hits = [Int32](repeating: 0, count: n)
            var chunks = [Int](repeating: 0, count: 8)
            hits.withUnsafeMutableBufferPointer { buffer in
                chunks.withUnsafeMutableBufferPointer { chunkBuffer in
                    let pointer = buffer.baseAddress!, chunkCount = chunkBuffer.baseAddress!
                    let size = (n + count - 1) / count
                    Parallel.forRanges(n) { start, end in
                        chunkCount[start / size] += 1
                        for i in start..<end { pointer[i] += 1 }
                    }
                }
            }
            XCTAssertEqual(hits.filter { $0 != 1 }.count, 0, "\(count) threads")
            XCTAssertEqual(chunks.reduce(0, +), count, "\(count) threads")
        }
    }

    func testInvalidCountsAreUsageErrors() {
        let before = ThreadSettings.current
        for count in [0, -2, ThreadSettings.maximum + 1] {
            XCTAssertThrowsError(try ThreadSettings.set(count), "\(count)") { error in
                let e = error as? SwiftCaffeError
                XCTAssertEqual(e?.kind, .usage)
                XCTAssertEqual(e?.field, "--threads")
                XCTAssertTrue(e?.message.contains("between 1 and \(ThreadSettings.maximum) (got \(count))") ?? false,
                              "\(String(describing: e))")
            }
        }
        XCTAssertEqual(ThreadSettings.current, before, "a refused count changes nothing")
    }

    /// libgomp's waiting policy is set to passive unless the user set it (or its spin count).
    func testStartupEnvironmentLeavesTheUsersChoice() {
        XCTAssertEqual(ThreadSettings.startupEnvironment([:]), ["OMP_WAIT_POLICY": "passive"])
        XCTAssertEqual(ThreadSettings.startupEnvironment(["PATH": "/bin"]), ["OMP_WAIT_POLICY": "passive"])
        XCTAssertEqual(ThreadSettings.startupEnvironment(["OMP_WAIT_POLICY": "active"]), [:])
        XCTAssertEqual(ThreadSettings.startupEnvironment(["OMP_WAIT_POLICY": ""]), [:])
        XCTAssertEqual(ThreadSettings.startupEnvironment(["GOMP_SPINCOUNT": "10000"]), [:])
    }
}
