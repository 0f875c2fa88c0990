import CaffeProto
import MallocCounter
import XCTest
@testable import SwiftCaffe

/// After the first iteration, a full forward and backward allocates nothing: every
/// buffer (im2col columns, masks, scales, scratch) is sized once and reused.
final class AllocationTests: XCTestCase {
    func testForwardBackwardAllocatesNothingAfterTheFirstIteration() throws {
        for name in ["mini_alexnet", "mini_caffenet"] {
            let path = TestSupport.caffeFixtures.appendingPathComponent("\(name)/net.prototxt").path
            var definition = try NetDefinition.load(path: path)
            // TRAIN phase so that Dropout draws masks too.
            definition.param.state.phase = .train
            let net = try NetBuilder.build(definition)
            try net.allocate()
            for _ in 0..<2 {
                try net.forward()
                try net.backward()
            }
            malloc_counter_start()
            for _ in 0..<3 {
                try net.forward()
                try net.backward()
            }
            let allocations = malloc_counter_stop()
            XCTAssertEqual(allocations, 0, "\(name): heap allocations in three forward/backward passes")
            // Not ours: on AVX-512 CPUs OpenBLAS's small-matrix sgemm kernel mallocs per call.
            print("\(name): OpenBLAS's own allocations in three passes: \(malloc_counter_openblas())")
        }
    }

    /// The counter itself works: an array allocation is seen, and counted as ours, not
    /// as OpenBLAS's.
    func testCounterSeesAllocations() {
        malloc_counter_start()
        let array = [Int](repeating: 1, count: Int.random(in: 1000...2000))
        let allocations = malloc_counter_stop()
        XCTAssertGreaterThan(allocations, 0)
        XCTAssertEqual(malloc_counter_openblas(), 0)
        XCTAssertGreaterThan(array.count, 0)
    }
}
