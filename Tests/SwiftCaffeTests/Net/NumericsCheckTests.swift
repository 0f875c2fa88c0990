import XCTest
@testable import SwiftCaffe

/// `--check_numerics`: the first layer whose output or gradient is not finite is named.
final class NumericsCheckTests: XCTestCase {
    /// DummyData (constant `input`) → InnerProduct (all ones, sums the 3 inputs) →
    /// Power 0.5 (a square root) → EuclideanLoss against ones.
    static func rootNet(input: Float) -> String {
        """
        name: "root"
        layer { name: "data" type: "DummyData" top: "x" top: "target"
          dummy_data_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 1 }
            data_filler { type: "constant" value: \(input) } data_filler { type: "constant" value: 1 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "x" top: "sum"
          inner_product_param { num_output: 1 weight_filler { type: "constant" value: 1 } bias_filler { type: "constant" value: 0 } } }
        layer { name: "sqrt" type: "Power" bottom: "sum" top: "root" power_param { power: 0.5 } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "root" bottom: "target" top: "loss" }
        """
    }

    static let solver = """
        base_lr: 0.01 lr_policy: "fixed" max_iter: 5 display: 1 snapshot_after_train: false
        """

    func testFirstNonFiniteFindsIndexValueAndCount() {
        var values: [Float] = [0, 1, -2, 3e38, .leastNonzeroMagnitude, .nan, 7, .infinity, -.infinity, 2]
        values.withUnsafeBufferPointer { p in
            XCTAssertEqual(NumericsCheck.firstNonFinite(p.baseAddress!, count: p.count)?.index, 5)
            XCTAssertEqual(NumericsCheck.firstNonFinite(p.baseAddress!, count: p.count)?.count, 3)
            XCTAssertNil(NumericsCheck.firstNonFinite(p.baseAddress!, count: 5), "finite values only")
            XCTAssertNil(NumericsCheck.firstNonFinite(p.baseAddress!, count: 0))
        }
        values[5] = 0
        values.withUnsafeBufferPointer { p in
            let found = NumericsCheck.firstNonFinite(p.baseAddress!, count: p.count)
            XCTAssertEqual(found, NumericsCheck.Finding(index: 7, value: .infinity, count: 2))
        }
    }

    func testForwardNaNNamesTheLayerTheBlobAndTheIteration() throws {
        let solver = try SolverTests.makeSolver(net: Self.rootNet(input: -1), solver: Self.solver)
        solver.checksNumerics = true
        let error = try XCTUnwrap(TestSupport.error { try solver.solve() })
        XCTAssertEqual(error.layer, "sqrt")
        XCTAssertEqual(error.message, "non-finite value in the forward pass at iteration 0: layer 'sqrt' (Power) "
                       + "made top 'root' data[0] = nan (2 of 2 values are not finite)")
        for part in ["base_lr", "input data", "clip_gradients"] {
            XCTAssertTrue(error.hint?.contains(part) ?? false, "\(part): \(error)")
        }
    }

    func testBackwardInfinityNamesTheLayerAndTheBottomDiff() throws {
        // sqrt(0) = 0 is finite; its slope 0.5 / sqrt(0) is not.
        let solver = try SolverTests.makeSolver(net: Self.rootNet(input: 0), solver: Self.solver)
        solver.checksNumerics = true
        let error = try XCTUnwrap(TestSupport.error { try solver.solve() })
        XCTAssertEqual(error.layer, "sqrt")
        XCTAssertTrue(error.message.hasPrefix("non-finite value in the backward pass at iteration 0: "
                                              + "layer 'sqrt' (Power) made bottom 'sum' diff[0] = "), error.message)
        XCTAssertTrue(error.message.hasSuffix("(2 of 2 values are not finite)"), error.message)
    }

    func testOffByDefaultTheNaNLossStopIsUnchanged() throws {
        let solver = try SolverTests.makeSolver(net: Self.rootNet(input: -1), solver: Self.solver)
        XCTAssertFalse(solver.checksNumerics)
        XCTAssertNil(solver.net.numericsCheck)
        let error = try XCTUnwrap(TestSupport.error { try solver.solve() })
        XCTAssertEqual(error.message, "training diverged: the loss is nan at iteration 0")
        XCTAssertNil(error.layer)
    }

    func testAHealthyNetTrainsWithTheCheckOn() throws {
        let solver = try SolverTests.makeSolver(net: SolverTests.randomNet, solver: """
            base_lr: 0.01 lr_policy: "fixed" max_iter: 4 test_iter: 1 test_interval: 2 snapshot_after_train: false
            """)
        solver.checksNumerics = true
        XCTAssertNotNil(solver.testNets.first?.numericsCheck)
        try solver.solve()
        XCTAssertEqual(solver.iter, 4)
        XCTAssertEqual(solver.net.numericsCheck?.iteration, 3)
    }
}
