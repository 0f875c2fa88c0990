import CaffeProto
import XCTest
@testable import SwiftCaffe

final class NetTimerTests: XCTestCase {
    /// With an update, every timed iteration ends as a training step begins: weights
    /// moved by the solver, momentum history filled, parameter diffs zeroed.
    func testUpdateRunsAfterEachBackwardAndZeroesTheDiffs() throws {
        let path = TestSupport.caffeFixtures.appendingPathComponent("mini_caffenet/net.prototxt").path
        var definition = try NetDefinition.load(path: path)
        definition.param.state.phase = .train
        let net = try NetBuilder.build(definition, options: NetBuildOptions())
        try net.allocate()
        // Inputs that reach every parameter (zero images would leave conv1's bias at 0).
        let random = RandomSource(seed: 5)
        let data = try XCTUnwrap(net.blob(named: "data")), label = try XCTUnwrap(net.blob(named: "label"))
        data.setData((0..<data.count).map { _ in random.uniform(-1, 1) })
        label.setData([1, 3])
        let before = net.learnableParams.map(\.dataArray)
        let solver = try Prototxt.decode(Caffe_SolverParameter.self, text: "base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005",
                                         file: "solver.prototxt").message
        let rule = try UpdateRule(solver, params: net.learnableParams, lrMultipliers: net.paramLearningRateMultipliers,
                                  decayMultipliers: net.paramDecayMultipliers)
        let result = try NetTimer(net: net, update: NetTimer.Update(apply: { rule.apply(rate: 0.01, iter: 0) }, zeroDiffs: rule.zeroDiffs)).run(iterations: 2)
        XCTAssertEqual(result.iterations, 2)
        for (i, param) in net.learnableParams.enumerated() {
            XCTAssertNotEqual(param.dataArray, before[i], "parameter \(i) was not updated")
            XCTAssertTrue(param.diffArray.allSatisfy { $0 == 0 }, "parameter \(i)'s diff was not zeroed")
            XCTAssertTrue(rule.history[i].dataArray.contains { $0 != 0 }, "parameter \(i) has no momentum")
        }
        // Without an update the parameters are left alone.
        let untouched = net.learnableParams.map(\.dataArray)
        _ = try NetTimer(net: net).run(iterations: 1)
        XCTAssertEqual(net.learnableParams.map(\.dataArray), untouched)
    }
}
