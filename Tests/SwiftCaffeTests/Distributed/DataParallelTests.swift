import Foundation
import XCTest
@testable import SwiftCaffe

/// The parts of data-parallel training that need no second process: test-batch
/// shares, gradient buckets and the drift error.
final class DataParallelTests: XCTestCase {
    func testTestBatchSharesCoverEveryBatchOnce() {
        // test_iter 4 on 3 ranks, pass after pass: global batch g is rank g mod 3's.
        var first = 0
        for _ in 0..<5 {
            let shares = (0..<3).map { DataParallel.share(ofBatches: 4, from: first, rank: $0, size: 3) }
            XCTAssertEqual(shares.reduce(0, +), 4)
            for rank in 0..<3 {
                XCTAssertEqual(shares[rank], (first..<first + 4).filter { $0 % 3 == rank }.count)
            }
            first += 4
        }
        XCTAssertEqual((0..<3).map { DataParallel.share(ofBatches: 4, from: 0, rank: $0, size: 3) }, [2, 1, 1])
        XCTAssertEqual((0..<3).map { DataParallel.share(ofBatches: 4, from: 4, rank: $0, size: 3) }, [1, 2, 1])
        XCTAssertEqual(DataParallel.share(ofBatches: 7, from: 3, rank: 0, size: 1), 7)
        XCTAssertEqual((0..<4).map { DataParallel.share(ofBatches: 2, from: 0, rank: $0, size: 4) }, [1, 1, 0, 0])
    }

    func testBucketsFollowBackwardOrderAndSize() {
        // Params of layers 1 (weights 100, bias 10), 3 (weights 50, bias 5) and 4 (500).
        let counts = [100, 10, 50, 5, 500]
        let ready = [1, 1, 3, 3, 4]
        // Greedy, in backward order 4, 3, 2, 1, 0: the 500 alone (larger than a bucket),
        // then 5 + 50 + 10 (adding the 100 would pass 120), then the 100.
        let buckets = GradientAllReduce.plan(counts: counts, readyAfterLayer: ready, bucketFloats: 120)
        XCTAssertEqual(buckets.map(\.params), [[4], [3, 2, 1], [0]])
        XCTAssertEqual(buckets.map(\.count), [500, 65, 100])
        // A bucket is complete once its earliest layer has run backward.
        XCTAssertEqual(buckets.map(\.readyAfterLayer), [4, 1, 1])
        // One bucket for everything when it fits: ready when the first layer is done.
        let one = GradientAllReduce.plan(counts: counts, readyAfterLayer: ready, bucketFloats: 1 << 20)
        XCTAssertEqual(one.map(\.params), [[4, 3, 2, 1, 0]])
        XCTAssertEqual(one.first?.readyAfterLayer, 1)
        // Empty blobs take no part.
        XCTAssertEqual(GradientAllReduce.plan(counts: [0, 3], readyAfterLayer: [0, 0], bucketFloats: 1).map(\.params), [[1]])
    }

    func testDriftIsAnErrorNamingTheIterationAndTheRanks() throws {
        XCTAssertNoThrow(try DataParallel.requireEqual([1.5, 1.5, 1.5], iteration: 10))
        XCTAssertThrowsError(try DataParallel.requireEqual([1.5, 1.5, 1.25], iteration: 200)) { error in
            let message = (error as? SwiftCaffeError)?.message ?? ""
            XCTAssertTrue(message.contains("differ at iteration 200"), message)
            XCTAssertTrue(message.contains("rank 2 (1.25)") && !message.contains("rank 1 ("), message)
            XCTAssertNotNil((error as? SwiftCaffeError)?.hint)
        }
    }

    func testChecksumSeesSwappedWeights() throws {
        let a = try Blob(shape: [4]), b = try Blob(shape: [4])
        for (i, v) in [1, 2, 3, 4].enumerated() { a.data[i] = Float(v) }
        for (i, v) in [2, 1, 3, 4].enumerated() { b.data[i] = Float(v) }
        XCTAssertNotEqual(DataParallel.checksum([a]), DataParallel.checksum([b]))
        XCTAssertEqual(DataParallel.checksum([a, b]), DataParallel.checksum([a, b]))
        XCTAssertNotEqual(DataParallel.checksum([a, b]), DataParallel.checksum([b, a]))
    }

    func testOutsideMPIRunNothingIsDistributed() {
        XCTAssertFalse(MPIWorld.isUnderMPIRun([:]))
        XCTAssertFalse(MPIWorld.isUnderMPIRun(["PATH": "/usr/bin"]))
        XCTAssertTrue(MPIWorld.isUnderMPIRun(["OMPI_COMM_WORLD_SIZE": "2"]))
    }
}
