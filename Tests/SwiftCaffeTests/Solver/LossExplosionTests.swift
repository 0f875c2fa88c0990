import XCTest
@testable import SwiftCaffe

/// The loss-explosion warning: loss > 10× its running mean, once per episode.
final class LossExplosionTests: XCTestCase {
    /// The indices of `losses` at which the detector warns.
    func warnings(_ losses: [Float]) -> [Int] {
        var detector = LossExplosionDetector()
        return losses.indices.filter { detector.observe(losses[$0]) }
    }

    func testSteadyDecreaseNeverWarns() {
        var decreasing: [Float] = [10]
        for _ in 1..<200 { decreasing.append(decreasing.last! * 0.98) }
        XCTAssertEqual(warnings(decreasing), [])
        XCTAssertEqual(warnings(Array(repeating: 0, count: 50)), [], "a zero mean never warns")
    }

    func testOneSpikeWarnsOnce() {
        let losses = Array(repeating: Float(1), count: 30) + [50] + Array(repeating: 1, count: 30)
        XCTAssertEqual(warnings(losses), [30])
        XCTAssertEqual(warnings(Array(repeating: Float(1), count: 30) + [9.9]), [], "below 10x")
    }

    func testNoWarningDuringWarmUp() {
        XCTAssertEqual(warnings([1, 1, 1, 1, 100, 1, 1]), [])
    }

    func testOneWarningPerEpisode() {
        let calm = Array(repeating: Float(1), count: 25)
        let episode: [Float] = [40, 80, 200, 15, 3]   // high until it falls below 2x the mean
        let losses = calm + episode + calm + episode
        XCTAssertEqual(warnings(losses), [25, 55])
        let stuck = calm + Array(repeating: Float(500), count: 100)
        XCTAssertEqual(warnings(stuck), [25], "a loss that stays high is one episode")
    }

    func testTheSolverLogsTheWarningWithTheLearningRate() throws {
        // loss = x² / 2 with x set per iteration: 1 for 30 iterations, then 20 (loss 200).
        let net = """
            layer { name: "in" type: "Input" top: "x" top: "y" input_param { shape { dim: 1 dim: 1 } } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "x" bottom: "y" top: "loss" }
            """
        let solver = try SolverTests.makeSolver(net: net, solver: """
            base_lr: 0.25 lr_policy: "fixed" max_iter: 40 snapshot_after_train: false
            """)
        solver.beforeForward = { s in
            s.net.blob(named: "x")!.data[0] = s.iter == 30 || s.iter == 31 ? 20 : 1
            s.net.blob(named: "y")!.data[0] = 0
        }
        try solver.solve()
        let warnings = solver.log.lines.filter { $0.hasPrefix("Warning:") }
        XCTAssertEqual(warnings, ["Warning: Iteration 30, loss = 200 is more than 10x its running mean 0.5 (lr = 0.25): "
                                  + "the loss is exploding; lower base_lr or set clip_gradients"])
    }
}
