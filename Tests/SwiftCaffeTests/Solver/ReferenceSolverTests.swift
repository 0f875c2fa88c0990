import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// The shipped AlexNet and CaffeNet solvers load and train their train_val nets,
/// with DummyData (batch 2) standing in for the ImageNet LMDB layers.
final class ReferenceSolverTests: XCTestCase {
    func definitionWithDummyData(_ path: String) throws -> NetDefinition {
        var definition = try NetDefinition.load(path: path).withBatchSize(2)
        for phase in [Caffe_Phase.train, .test] {
            let shapes = try NetBuilder.build(definition, options: NetBuildOptions(phase: phase, inspectOnly: true))
            definition = definition.replacingLayers(ofTypes: ["Data"], shapesFrom: shapes).0
        }
        return definition
    }

    func testBothReferenceSolversRunIterationsOfTheirNets() throws {
        for model in ["bvlc_alexnet", "bvlc_reference_caffenet"] {
            var (param, _) = try Solver.loadParameter(path: TestSupport.model("\(model)/solver.prototxt"))
            XCTAssertEqual(param.net, "models/\(model)/train_val.prototxt")
            param.clearNet()
            param.netParam = try definitionWithDummyData(TestSupport.model("\(model)/train_val.prototxt")).param
            param.maxIter = 2
            param.testIter = [1]
            param.testInterval = 2
            param.display = 1
            param.snapshot = 0
            param.snapshotAfterTrain = false
            param.randomSeed = 1701
            let solverLog = try SolverLog(echo: false, record: true)
            let solver = try Solver.make(param: param, random: RandomSource(seed: 1701), log: solverLog)
            try solver.solve()
            XCTAssertEqual(solver.iter, 2, model)
            XCTAssertTrue(solverLog.lines.contains("Iteration 0, lr = 0.01"), "\(model): \(solverLog.lines)")
            XCTAssertTrue(solverLog.lines.contains { $0.hasPrefix("    Test net output #0: accuracy = ") }, model)
            XCTAssertTrue(solverLog.lines.contains { $0.hasPrefix("    Test net output #1: loss = ") }, model)
            XCTAssertTrue(solverLog.lines.contains("Optimization Done."), model)
            XCTAssertTrue(solver.smoothedLoss.isFinite, model)
            // The first loss is that of an untrained 1000-way classifier: ln(1000).
            let first = solverLog.lines.first { $0.hasPrefix("Iteration 0, loss = ") }
            let value = first.flatMap { Float($0.dropFirst("Iteration 0, loss = ".count)) }
            XCTAssertEqual(value ?? 0, Float(Foundation.log(1000.0)), accuracy: 0.5, "\(model): \(first ?? "no loss line")")
        }
    }
}
