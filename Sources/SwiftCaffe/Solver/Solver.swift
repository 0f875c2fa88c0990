import CaffeProto
import Foundation

/// What a signal (or any outside request) asks the solver to do, checked once per
/// iteration (and before each test batch), as Caffe's `SolverAction`.
public enum SolverAction: Equatable {
    case none, stop, snapshot, snapshotAndStop

    var snapshots: Bool { self == .snapshot || self == .snapshotAndStop }
    var stops: Bool { self == .stop || self == .snapshotAndStop }
}

/// Caffe's `Solver`/`SGDSolver`: trains `net` and tests `testNets` (which share the
/// train net's parameter blobs) in Caffe's exact order. One iteration (`step`):
/// zero the parameter diffs; test if `iter % test_interval == 0` (and iter > 0 or
/// test_initialization); forward/backward `iter_size` times; smooth the loss over
/// `average_loss`; display; clip, normalize, regularize and update (`UpdateRule`);
/// iter += 1; snapshot if `iter % snapshot == 0` or requested; stop if requested.
/// `solve()` adds the final snapshot, display and test pass, as Caffe's `Solve`.
public final class Solver {
    public let param: Caffe_SolverParameter
    public let net: Net
    public let testNets: [Net]
    public let random: RandomSource
    public let rule: UpdateRule
    public let log: SolverLog
    public let plateau: PlateauSchedule?
    public let snapshotPrefix: String
    /// Data-parallel training under mpirun (Solver+Distributed.swift); nil: one process.
    public let distributed: DataParallel?
    /// The all-reduce of the gradients after (and during) backward, when distributed.
    public let gradients: GradientAllReduce?

    /// Updates done so far.
    public internal(set) var iter = 0
    /// Caffe's `current_step` (step and multistep policies).
    public internal(set) var currentStep = 0
    public private(set) var smoothedLoss: Float = 0
    /// Mean scores of each test net's last test pass, one per output value.
    public private(set) var testScores: [[Float]]
    public private(set) var requestedEarlyExit = false
    /// The last .solverstate written or resumed from (named when training diverges).
    public internal(set) var lastSnapshotState: String?
    var lastSnapshotIter: Int?

    /// Asked once per iteration, after the update (signals).
    public var actionRequest: (() -> SolverAction)?
    /// Called before every training forward pass (e.g. to set input blobs).
    public var beforeForward: ((Solver) throws -> Void)?

    /// `--check_numerics`: the train and test nets stop at the first layer whose output
    /// or gradient is NaN or infinite, naming it and the iteration (see `NumericsCheck`).
    public var checksNumerics: Bool {
        get { net.numericsCheck != nil }
        set {
            for n in [net] + testNets { n.numericsCheck = newValue ? NumericsCheck(iteration: iter) : nil }
        }
    }

    private let schedule: LearningRatePolicy.Schedule
    private let snapshotInterval: Int, testInitialization: Bool
    private var losses: [Float] = []
    let trainOutputs: NetScorer   // the train net's outputs and loss weights, for display
    var testScorers: [NetScorer]
    private var startTime = Date()
    private var startIterOfRun = 0
    private var explosion = LossExplosionDetector()
    /// Per test net: global test batches run so far (they decide each rank's share).
    var testBatchesDone: [Int]

    /// - Parameters:
    ///   - testNets: one per `test_iter` entry; their layers' blobs are replaced by the
    ///     train net's blobs of the same layer name (same objects: shared weights).
    ///   - random: the RandomSource the nets were built with (saved in snapshots).
    public init(param: Caffe_SolverParameter, net: Net, testNets: [Net] = [], random: RandomSource,
                log: SolverLog, distributed: DataParallel? = nil) throws {
        self.param = param
        self.distributed = distributed
        self.net = net
        self.testNets = testNets
        self.random = random
        self.log = log
        guard param.averageLoss >= 1 else {
            throw SwiftCaffeError.invalid("average_loss",
                                          "average_loss must be at least 1 (got \(param.averageLoss))")
        }
        guard param.maxIter >= 0 else {
            throw SwiftCaffeError.invalid("max_iter", "max_iter must not be negative")
        }
        try LearningRatePolicy.validate(param)
        schedule = LearningRatePolicy.Schedule(param)
        snapshotInterval = Int(param.snapshot)
        testInitialization = param.testInitialization
        if !testNets.isEmpty {
            guard param.testIter.count == testNets.count else {
                throw SwiftCaffeError.invalid("test_iter", "test_iter must be given once per test net "
                                              + "(\(testNets.count) test nets, \(param.testIter.count) test_iter)")
            }
            guard param.testInterval > 0 else {
                throw SwiftCaffeError.invalid("test_interval", "a test net needs test_interval > 0",
                                              hint: "add e.g. 'test_interval: 1000', or remove test_iter")
            }
        }
        if param.snapshotFormat == .hdf5 {
            throw SwiftCaffeError.invalid("snapshot_format", "HDF5 snapshots are not supported",
                                          hint: "use 'snapshot_format: BINARYPROTO' (the default)")
        }
        if param.snapshot > 0 && !param.hasSnapshotPrefix {
            throw SwiftCaffeError.invalid("snapshot_prefix", "snapshot is set but snapshot_prefix is not")
        }
        snapshotPrefix = param.snapshotPrefix
        if (param.snapshot > 0 || param.hasSnapshotPrefix) && distributed?.isLeader ?? true {
            try Snapshot.checkWritable(prefix: snapshotPrefix)
        }
        rule = try UpdateRule(param, params: net.learnableParams,
                              lrMultipliers: net.paramLearningRateMultipliers,
                              decayMultipliers: net.paramDecayMultipliers)
        for testNet in testNets { try testNet.shareParameters(from: net) }
        // All memory up front: running out is an error now, not a crash at iteration 5000.
        try net.allocate()
        for testNet in testNets { for i in testNet.blobs.indices { try testNet.blobs[i].allocate() } }
        gradients = distributed?.gradientReducer(for: net)
        testBatchesDone = Array(repeating: 0, count: testNets.count)
        if param.lrPolicy == "plateau" {
            guard let first = testNets.first else {
                throw SwiftCaffeError.invalid("lr_policy", "lr_policy \"plateau\" needs a test net to watch",
                                              hint: "add test_iter and test_interval")
            }
            plateau = try PlateauSchedule(param, outputs: first.outputNames)
        } else {
            plateau = nil
        }
        trainOutputs = NetScorer(net: net)
        testScorers = testNets.map(NetScorer.init)
        testScores = testScorers.map { Array(repeating: 0, count: $0.sums.count) }
        losses.reserveCapacity(Int(param.averageLoss))
    }

    /// The learning rate at the current iteration (sets `currentStep`, as Caffe's GetLearningRate).
    public func learningRate() -> Float {
        currentStep = schedule.currentStep(iter: iter)
        return schedule.rate(iter: iter, lrScale: plateau?.lrScale ?? 1)
    }

    /// Runs `iters` iterations (Caffe's Step).
    public func step(_ iters: Int) throws {
        let startIter = iter, stopIter = iter + iters
        let averageLoss = Int(param.averageLoss), iterSize = Int(param.iterSize)
        let display = Int(param.display), testInterval = Int(param.testInterval)
        losses.removeAll(keepingCapacity: true)
        smoothedLoss = 0
        startTime = Date()
        startIterOfRun = iter
        while iter < stopIter {
            // Index loops throughout: `for p in array` allocates in debug builds.
            rule.zeroDiffs()
            if testInterval > 0 && iter % testInterval == 0 && (iter > 0 || testInitialization) {
                try testAll()
                if requestedEarlyExit { break }
            }
            let displaying = display > 0 && iter % display == 0
            net.numericsCheck?.iteration = iter
            var loss: Float = 0
            for pass in 0..<iterSize {
                try beforeForward?(self)
                loss += try net.forward()
                // The gradients are complete in the last pass: their all-reduce starts during it.
                if pass == iterSize - 1 { net.backwardObserver = gradients }
                try net.backward()
            }
            loss /= Float(iterSize)
            if distributed != nil { loss = try reduceGradients(loss: loss) }
            guard loss.isFinite else { throw divergence(loss) }
            updateSmoothedLoss(loss, startIter: startIter, averageLoss: averageLoss)
            if displaying {
                log.info("Iteration \(iter), loss = \(SolverLog.number(smoothedLoss))")
                for (index, output) in try trainOutputScores().enumerated() {
                    log.info("    Train net output #\(index): \(output)")
                }
            }
            let rate = learningRate()
            if displaying { log.info("Iteration \(iter), lr = \(SolverLog.number(rate))") }
            if explosion.observe(smoothedLoss) { warnExplosion(rate: rate) }
            if let note = rule.apply(rate: rate, iter: iter) { log.info(note) }
            iter += 1
            showProgress()
            let action = try agreed(actionRequest?() ?? .none)
            try checkWeightsIfDue()
            if (snapshotInterval > 0 && iter % snapshotInterval == 0) || action.snapshots {
                try snapshot()
            }
            if action.stops {
                requestedEarlyExit = true
                break
            }
        }
    }

    /// Trains to max_iter (Caffe's Solve): steps, the final snapshot, and the final
    /// display and test pass.
    public func solve() throws {
        try startDistributed()
        log.info("Solving \(net.name)")
        log.info("Learning Rate Policy: \(param.lrPolicy)")
        requestedEarlyExit = false
        let startIter = iter
        try step(Int(param.maxIter) - iter)
        log.finishProgress()
        if param.snapshotAfterTrain && (param.snapshot == 0 || iter % Int(param.snapshot) != 0)
            && lastSnapshotIter != iter {
            try snapshot()
        }
        if requestedEarlyExit {
            log.info("Optimization stopped early.")
            return
        }
        if param.display > 0 && iter % Int(param.display) == 0 {
            try beforeForward?(self)
            let loss = try meanOverRanks(net.forward())
            updateSmoothedLoss(loss, startIter: startIter, averageLoss: Int(param.averageLoss))
            log.info("Iteration \(iter), loss = \(SolverLog.number(smoothedLoss))")
        }
        if param.testInterval > 0 && iter % Int(param.testInterval) == 0 { try testAll() }
        log.info("Optimization Done.")
    }

    private func updateSmoothedLoss(_ loss: Float, startIter: Int, averageLoss: Int) {
        if losses.count < averageLoss {
            losses.append(loss)
            let size = Float(losses.count)
            smoothedLoss = (smoothedLoss * (size - 1) + loss) / size
        } else {
            let index = (iter - startIter) % averageLoss
            smoothedLoss += (loss - losses[index]) / Float(averageLoss)
            losses[index] = loss
        }
    }

    private func warnExplosion(rate: Float) {
        log.info("Warning: Iteration \(iter), loss = \(SolverLog.number(smoothedLoss)) is more than "
                 + "\(SolverLog.number(explosion.factor))x its running mean \(SolverLog.number(explosion.runningMean)) "
                 + "(lr = \(SolverLog.number(rate))): the loss is exploding; lower base_lr or set clip_gradients")
    }

    private func showProgress() {
        guard log.showsProgress else { return }
        let elapsed = Date().timeIntervalSince(startTime)
        let done = iter - startIterOfRun
        guard elapsed > 0, done > 0 else { return }
        let batch = (net.batchSize ?? 1) * Int(param.iterSize)
        let left = Double(Int(param.maxIter) - iter) / (Double(done) / elapsed)
        let images = Throughput.imagesPerSecond(images: done * batch, seconds: elapsed) ?? 0
        log.progress(iter: iter, maxIter: Int(param.maxIter), imagesPerSecond: images,
                     secondsLeft: left, loss: smoothedLoss)
    }

    private func divergence(_ loss: Float) -> SwiftCaffeError {
        let hint: String
        if let last = lastSnapshotState {
            hint = "the last good snapshot is '\(URL(fileURLWithPath: last).lastPathComponent)' (\(last)); "
                + "resume from it with --snapshot after lowering base_lr"
        } else {
            hint = "there is no snapshot to resume from; lower base_lr (now \(SolverLog.number(param.baseLr))) and start again"
        }
        return SwiftCaffeError(.semantic, "training diverged: the loss is \(SolverLog.number(loss)) at iteration \(iter)",
                               hint: hint)
    }

    // MARK: - Testing

    public func testAll() throws {
        for k in testNets.indices where !requestedEarlyExit { try test(k) }
    }

    /// Caffe's Test(k): test_iter forward passes, then the mean of every output value.
    public func test(_ k: Int) throws {
        log.info("Iteration \(iter), Testing net (#\(k))")
        let iterations = testShare(k)
        testNets[k].numericsCheck?.iteration = iter
        testScorers[k].reset()
        for _ in 0..<iterations {
            // Ranks run different numbers of test batches, so under mpirun a signal is
            // handled at the next iteration, when all ranks agree on it.
            var action = distributed == nil ? actionRequest?() ?? .none : .none
            while action != .none {
                if action.snapshots { try snapshot() }
                if action.stops { requestedEarlyExit = true }
                action = actionRequest?() ?? .none
            }
            if requestedEarlyExit { break }
            try testScorers[k].scoreBatch()
        }
        if requestedEarlyExit {
            log.info("Test interrupted.")
            return
        }
        try combineTestScores(k)
        if param.testComputeLoss {
            log.info("Test loss: \(SolverLog.number(testScorers[k].meanLoss))")
        }
        var monitored: Float?
        for (index, score) in testScorers[k].means.enumerated() {
            testScores[k][index] = score.value
            log.info("    Test net output #\(index): \(score)")
            if k == 0, let plateau, score.name == plateau.monitor, monitored == nil { monitored = score.value }
        }
        if let plateau, let value = monitored, plateau.observe(value) {
            log.info("Plateau: '\(plateau.monitor)' has not improved for \(plateau.patience) test passes; "
                     + "lr = \(SolverLog.number(learningRate())) (drop \(plateau.drops) of \(plateau.maxDrops))")
        }
    }
}
