import CaffeProto
import Foundation
import MallocCounter
import XCTest
@testable import SwiftCaffe

/// The solver's step loop against Caffe's own numbers, and resume exactness.
final class SolverTests: XCTestCase {
    static let fixture = TestSupport.caffeFixtures.appendingPathComponent("sgd_steps")

    /// A solver over a net given as text (built as net_param, so one file holds both).
    static func makeSolver(net: String, solver: String, prefix: String? = nil, seed: UInt64 = 1701,
                           log: SolverLog? = nil) throws -> Solver {
        var param = try Prototxt.decode(Caffe_SolverParameter.self, text: solver, file: "solver.prototxt").message
        param.netParam = try Prototxt.decode(Caffe_NetParameter.self, text: net, file: "net.prototxt").message
        if let prefix { param.snapshotPrefix = prefix }
        return try Solver.make(param: param, random: RandomSource(seed: seed),
                               log: try log ?? SolverLog(echo: false, record: true))
    }

    static func assertClose(_ a: [Float], _ b: [Float], relative: Float = 1e-5, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > relative * max(abs(y), 1e-1) {
            XCTFail("\(what)[\(i)]: \(x) vs \(y)", file: file, line: line)
            return
        }
    }

    func testCaffeSGDFixtureThreeSteps() throws {
        let dir = Self.fixture, tmp = try TestSupport.temporaryDirectory(self)
        var param = try Prototxt.load(Caffe_SolverParameter.self, path: dir.appendingPathComponent("solver.prototxt").path).message
        param.net = dir.appendingPathComponent("net.prototxt").path
        let prefix = tmp.appendingPathComponent("sgd").path
        param.snapshotPrefix = prefix
        let log = try SolverLog(echo: false, record: true)
        let solver = try Solver.make(param: param, random: RandomSource(seed: 1701), log: log)
        XCTAssertEqual(solver.net.state.phase, .train)
        try solver.net.copyTrainedLayers(from: Net.readWeights(dir.appendingPathComponent("weights.caffemodel").path))
        let inputs = try Caffe_BlobProtoVector(serializedBytes: Data(contentsOf: dir.appendingPathComponent("inputs.binaryproto")))
        solver.beforeForward = { s in
            try s.net.blob(named: "data")!.copy(from: inputs.blobs[0])
            try s.net.blob(named: "label")!.copy(from: inputs.blobs[1])
        }
        let losses: [Float] = [1.54311967, 1.51120377, 1.45355058]
        for k in 1...3 {
            try solver.step(1)
            XCTAssertEqual(solver.iter, k)
            XCTAssertEqual(solver.smoothedLoss, losses[k - 1], accuracy: 1e-5 * losses[k - 1], "loss of step \(k)")
            let expected = try Net.readWeights(dir.appendingPathComponent("after_\(k).caffemodel").path)
            for layer in expected.layer where !layer.blobs.isEmpty {
                let ours = try XCTUnwrap(solver.net.layer(named: layer.name))
                for (j, proto) in layer.blobs.enumerated() {
                    Self.assertClose(ours.blobs[j].dataArray, proto.data, "step \(k) \(layer.name) blob \(j)")
                }
            }
        }
        XCTAssertEqual(log.lines.filter { $0.contains(", lr = ") },
                       ["Iteration 0, lr = 0.01", "Iteration 1, lr = 0.01", "Iteration 2, lr = 0.001"])
        XCTAssertTrue(log.lines.contains("Iteration 0, loss = 1.54312"), "\(log.lines)")
        XCTAssertTrue(log.lines.contains("    Train net output #0: loss = 1.54312 (* 1 = 1.54312 loss)"), "\(log.lines)")

        let (modelPath, statePath) = try solver.snapshot()
        XCTAssertEqual(modelPath, prefix + "_iter_3.caffemodel")
        let state = try Caffe_SolverState(serializedBytes: Data(contentsOf: URL(fileURLWithPath: statePath)))
        let caffeState = try Caffe_SolverState(serializedBytes: Data(contentsOf: dir.appendingPathComponent("sgd_iter_3.solverstate")))
        XCTAssertEqual(state.iter, 3)
        XCTAssertEqual(state.learnedNet, prefix + "_iter_3.caffemodel")
        XCTAssertEqual(state.currentStep, 1)
        XCTAssertEqual(caffeState.currentStep, 1)
        XCTAssertEqual(state.history.count, caffeState.history.count)
        for (i, (ours, theirs)) in zip(state.history, caffeState.history).enumerated() {
            XCTAssertEqual(ours.blobShape, theirs.blobShape, "history \(i)")
            Self.assertClose(ours.data, theirs.data, "history \(i)")
        }
        let model = try Caffe_NetParameter(serializedBytes: Data(contentsOf: URL(fileURLWithPath: modelPath)))
        let caffeModel = try Net.readWeights(dir.appendingPathComponent("sgd_iter_3.caffemodel").path)
        XCTAssertEqual(model.layer.map(\.name), caffeModel.layer.map(\.name))
        for (ours, theirs) in zip(model.layer, caffeModel.layer) {
            XCTAssertEqual(ours.blobs.map(\.blobShape), theirs.blobs.map(\.blobShape), ours.name)
            for (j, (a, b)) in zip(ours.blobs, theirs.blobs).enumerated() {
                Self.assertClose(a.data, b.data, "\(ours.name) blob \(j)")
            }
        }
    }

    /// DummyData (gaussian, drawn every forward) and Dropout in TRAIN: the random
    /// stream matters, and the test net draws from it too.
    static let randomNet = """
        name: "resume"
        layer { name: "data" type: "DummyData" top: "data" top: "target"
          dummy_data_param { shape { dim: 4 dim: 6 } shape { dim: 4 dim: 3 } data_filler { type: "gaussian" std: 1 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
          inner_product_param { num_output: 8 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "drop" type: "Dropout" bottom: "ip1" top: "drop" dropout_param { dropout_ratio: 0.5 } }
        layer { name: "ip2" type: "InnerProduct" bottom: "drop" top: "ip2"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "target" top: "loss" }
        """

    func resumeIsExact(type: String) throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let solverText = """
            type: "\(type)" base_lr: 0.05 momentum: 0.9 weight_decay: 0.001 lr_policy: "step" gamma: 0.5 stepsize: 3
            max_iter: 8 display: 2 test_iter: 2 test_interval: 3 snapshot_after_train: false random_seed: 7
            """
        let straight = try Self.makeSolver(net: Self.randomNet, solver: solverText, prefix: tmp.appendingPathComponent("a").path)
        try straight.step(8)

        let first = try Self.makeSolver(net: Self.randomNet, solver: solverText, prefix: tmp.appendingPathComponent("b").path)
        try first.step(4)
        let (_, state) = try first.snapshot()
        try first.step(1)   // keeps going: the resumed solver must not depend on it

        let resumed = try Self.makeSolver(net: Self.randomNet, solver: solverText, prefix: tmp.appendingPathComponent("c").path)
        try resumed.restore(from: state)
        XCTAssertEqual(resumed.iter, 4)
        try resumed.step(4)
        XCTAssertEqual(resumed.iter, 8)
        for (a, b) in zip(straight.net.learnableParams, resumed.net.learnableParams) {
            XCTAssertEqual(a.dataArray, b.dataArray, "\(type): weights differ after resuming")
        }
        for (a, b) in zip(straight.rule.history, resumed.rule.history) {
            XCTAssertEqual(a.dataArray, b.dataArray, "\(type): history differs after resuming")
        }
        XCTAssertEqual(straight.random.savedState, resumed.random.savedState)
    }

    func testResumeIsBitIdenticalSGD() throws { try resumeIsExact(type: "SGD") }
    func testResumeIsBitIdenticalAdam() throws { try resumeIsExact(type: "Adam") }

    func testTestNetSharesTrainWeightsAndLogs() throws {
        let solver = try Self.makeSolver(net: Self.randomNet, solver: """
            base_lr: 0.01 lr_policy: "fixed" max_iter: 2 display: 1 test_iter: 3 test_interval: 2 snapshot_after_train: false
            """)
        XCTAssertEqual(solver.testNets.count, 1)
        XCTAssertEqual(solver.testNets[0].state.phase, .test)
        XCTAssertTrue(solver.testNets[0].layer(named: "ip1")!.blobs[0] === solver.net.layer(named: "ip1")!.blobs[0])
        try solver.solve()
        let lines = (solver.log.lines)
        XCTAssertEqual(lines.filter { $0.contains("Testing net (#0)") }, ["Iteration 0, Testing net (#0)", "Iteration 2, Testing net (#0)"])
        XCTAssertTrue(lines.contains { $0.hasPrefix("    Test net output #0: loss = ") && $0.hasSuffix(" loss)") }, "\(lines)")
        XCTAssertEqual(lines.last, "Optimization Done.")
    }

    func testNaNLossStopsWithIteration() throws {
        let tmp = try TestSupport.temporaryDirectory(self)
        let solver = try Self.makeSolver(net: Self.randomNet, solver: """
            base_lr: 1e30 lr_policy: "fixed" max_iter: 50 snapshot: 1 momentum: 0.9
            """, prefix: tmp.appendingPathComponent("nan").path)
        let error = TestSupport.error { try solver.solve() }
        XCTAssertTrue(error?.message.contains("diverged") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("at iteration \(solver.iter)") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.hint?.contains("nan_iter_\(solver.iter).solverstate") ?? false, "\(String(describing: error))")

        let noSnapshot = try Self.makeSolver(net: Self.randomNet, solver: """
            base_lr: 1e30 lr_policy: "fixed" max_iter: 50 momentum: 0.9 snapshot_after_train: false
            """)
        let e2 = TestSupport.error { try noSnapshot.solve() }
        XCTAssertTrue(e2?.hint?.contains("no snapshot") ?? false, "\(String(describing: e2))")
    }

    func testPlateauPolicyCutsRateDuringTraining() throws {
        // A constant test loss never improves: with patience 1 the rate halves at
        // every test pass after the first, at most twice.
        let net = """
            layer { name: "data" type: "DummyData" top: "x" top: "y" dummy_data_param { shape { dim: 2 dim: 3 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "z" inner_product_param { num_output: 3 } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "z" bottom: "y" top: "loss" }
            """
        let solver = try Self.makeSolver(net: net, solver: """
            base_lr: 0.4 lr_policy: "plateau" gamma: 0.5 plateau_patience: 1 plateau_max_drops: 2
            max_iter: 5 test_iter: 1 test_interval: 1 snapshot_after_train: false
            """)
        XCTAssertEqual(solver.plateau?.monitor, "loss")
        try solver.step(5)   // tests at 0 (best), 1 (drop), 2 (drop), 3, 4
        XCTAssertEqual(solver.plateau?.drops, 2)
        XCTAssertEqual(solver.learningRate(), 0.1, accuracy: 1e-7)
        let state = solver.solverState(learnedNet: "x")
        XCTAssertEqual(state.plateauState.lrScale, 0.25)
        XCTAssertEqual(state.plateauState.drops, 2)
    }

    /// After warm-up, training iterations (without display or snapshots) allocate nothing.
    func testStepsAllocateNothingAfterWarmUp() throws {
        for type in SolverType.allCases {
            let momentum = type == .adaGrad || type == .rmsProp ? "" : "momentum: 0.9"
            let solver = try Self.makeSolver(net: Self.randomNet, solver: """
                type: "\(type.rawValue)" base_lr: 0.01 \(momentum) lr_policy: "multistep" gamma: 0.5 stepvalue: 2 stepvalue: 4
                weight_decay: 0.001 clip_gradients: 100 iter_size: 2 max_iter: 10 snapshot_after_train: false
                """)
            try solver.step(2)
            try solver.net.forward()
            try solver.net.backward()
            try AllocationCounter.start()
            try solver.net.forward()
            try solver.net.backward()
            let perPass = AllocationCounter.stop()   // the net's own (layers are not the solver's)
            try AllocationCounter.start()
            try solver.step(3)
            let allocations = AllocationCounter.stop()
            XCTAssertEqual(allocations - 3 * 2 * perPass, 0,
                           "\(type.rawValue): heap allocations by the solver in three iterations")
        }
    }

    func testSeparateTrainAndTestNetsAndPhaseRules() throws {
        let body = """
            layer { name: "data" type: "DummyData" top: "x" top: "label"
              dummy_data_param { shape { dim: 4 dim: 5 } shape { dim: 4 } data_filler { type: "uniform" min: 0 max: 1 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "score"
              inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss" }
            layer { name: "acc" type: "Accuracy" bottom: "score" bottom: "label" top: "accuracy" include { phase: TEST } }
            """
        let solverText = """
            train_net_param { name: "train" \(body) }
            test_net_param { name: "test" \(body) }
            test_iter: 2 test_interval: 5 base_lr: 0.1 lr_policy: "plateau" gamma: 0.5 plateau_patience: 3
            max_iter: 1 snapshot_after_train: false
            """
        let param = try Prototxt.decode(Caffe_SolverParameter.self, text: solverText, file: "solver.prototxt").message
        let log = try SolverLog(echo: false, record: true)
        let solver = try Solver.make(param: param, random: RandomSource(seed: 1), log: log)
        XCTAssertEqual(solver.net.outputNames, ["loss"])
        XCTAssertEqual(solver.testNets.map(\.outputNames), [["accuracy", "loss"]])
        XCTAssertEqual(solver.plateau?.monitor, "accuracy")
        XCTAssertTrue(solver.testNets[0].layer(named: "ip")!.blobs[1] === solver.net.layer(named: "ip")!.blobs[1])
        try solver.solve()
        XCTAssertTrue(log.lines.contains { $0.hasPrefix("    Test net output #0: accuracy = ") }, "\(log.lines)")
        XCTAssertTrue(log.lines.contains("Creating test net (#0) specified by test_net_param"))

        var twoTests = param
        twoTests.testIter = [2, 2]   // one test net, two test_iter
        let e = TestSupport.error { _ = try Solver.make(param: twoTests, random: RandomSource(seed: 1), log: log) }
        XCTAssertEqual(e?.field, "test_iter")
    }
}
