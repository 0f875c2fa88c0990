import CaffeProto
import Foundation
import MallocCounter
import XCTest
@testable import SwiftCaffe

/// After the first iteration, a full forward and backward allocates nothing: every
/// buffer (im2col columns, masks, scales, scratch) is sized once and reused.
final class AllocationTests: XCTestCase {
    func testForwardBackwardAllocatesNothingAfterTheFirstIteration() throws {
        try checkNoAllocations(engine: .openblas)
    }

    /// On oneDNN's kernels our side allocates nothing either (primitives, memories and
    /// argument lists are made when the layers are shaped), but oneDNN 2.6's
    /// `dnnl_primitive_execute` copies the argument list into a hash map on every call:
    /// a fixed number of small allocations per pass, never growing.
    func testForwardBackwardOnDNNLAllocatesTheSameEveryPass() throws {
        for name in ["mini_alexnet", "mini_caffenet"] {
            let path = TestSupport.caffeFixtures.appendingPathComponent("\(name)/net.prototxt").path
            var definition = try NetDefinition.load(path: path)
            definition.param.state.phase = .train
            var options = NetBuildOptions()
            options.engine = .dnnl
            let net = try NetBuilder.build(definition, options: options)
            try net.allocate()
            func passes(_ count: Int) throws -> Int {
                try AllocationCounter.start()
                for _ in 0..<count {
                    try net.forward()
                    try net.backward()
                }
                return AllocationCounter.stop()
            }
            _ = try passes(2)
            let one = try passes(1), three = try passes(3)
            XCTAssertEqual(three, 3 * one, "\(name) on dnnl: allocations grow from pass to pass")
            print("\(name) on dnnl: \(one) allocations per forward/backward pass, all inside oneDNN's execute")
        }
    }

    func checkNoAllocations(engine: ComputeEngine) throws {
        for name in ["mini_alexnet", "mini_caffenet"] {
            let path = TestSupport.caffeFixtures.appendingPathComponent("\(name)/net.prototxt").path
            var definition = try NetDefinition.load(path: path)
            // TRAIN phase so that Dropout draws masks too.
            definition.param.state.phase = .train
            var options = NetBuildOptions()
            options.engine = engine
            let net = try NetBuilder.build(definition, options: options)
            try net.allocate()
            for _ in 0..<2 {
                try net.forward()
                try net.backward()
            }
            try AllocationCounter.start()
            for _ in 0..<3 {
                try net.forward()
                try net.backward()
            }
            let allocations = AllocationCounter.stop()
            XCTAssertEqual(allocations, 0, "\(name) on \(engine): heap allocations in three forward/backward passes")
            // Not ours: on AVX-512 CPUs OpenBLAS's small-matrix sgemm kernel mallocs per call.
            print("\(name): OpenBLAS's own allocations in three passes: \(AllocationCounter.openBLAS)")
        }
    }

    /// The counter itself works: an array allocation is seen, and counted as ours, not
    /// as OpenBLAS's.
    func testCounterSeesAllocations() throws {
        try AllocationCounter.start()
        let array = [Int](repeating: 1, count: Int.random(in: 1000...2000))
        let allocations = AllocationCounter.stop()
        XCTAssertGreaterThan(allocations, 0)
        XCTAssertEqual(AllocationCounter.openBLAS, 0)
        XCTAssertGreaterThan(array.count, 0)
    }

    /// The worker pool's threads are counted: an allocation in every chunk of a parallel
    /// loop is seen once per chunk.
    func testCounterSeesThePoolThreads() throws {
        let chunks = Parallel.threads
        try AllocationCounter.start()
        Parallel.forRanges(chunks, workPerItem: Parallel.minimumPerThread) { start, end in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 1000 + start)
            scratch.deallocate()
        }
        let allocations = AllocationCounter.stop()
        XCTAssertGreaterThanOrEqual(allocations, chunks)
    }

    /// A thread that does not run the net (left over from an earlier test) is not counted.
    func testCounterIgnoresOtherThreads() throws {
        let go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let thread = Thread {
            go.wait()
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 1000)
            scratch.deallocate()
            done.signal()
        }
        thread.start()
        try AllocationCounter.start()
        go.signal()
        done.wait()
        let allocations = AllocationCounter.stop()
        XCTAssertEqual(allocations, 0)
    }
}
