import ArgumentParser
import CaffeProto
import Foundation
import SwiftCaffe
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a signal does, as Caffe's --sigint_effect/--sighup_effect values.
enum SignalEffect: String, ExpressibleByArgument, CaseIterable {
    case stop, snapshot, none
}

/// A signal `swiftcaffe train` handles, its name in the log, and what it does (nil:
/// snapshot, then stop).
struct HandledSignal {
    let signal: Int32
    let name: String
    let effect: SignalEffect?
}

/// Signals received and not yet handled: the only state the signal handlers touch.
/// A handler may only do async-signal-safe things, and an atomic read-modify-write on a
/// lock-free atomic is one (Synchronization's `Atomic` is always lock-free), so the
/// pending signals are one bit each (bit n for signal n) of an `Atomic`, and the
/// handler does nothing but `record`.
enum PendingSignals {
    private static let bits = Atomic<UInt64>(0)

    private static func bit(_ signal: Int32) -> UInt64 { 1 << UInt64(signal & 63) }

    /// The handlers' only call: one atomic or.
    static func record(_ signal: Int32) {
        _ = bits.bitwiseOr(bit(signal), ordering: .relaxed)
    }

    /// Whether `signal` arrived since the last call, clearing it in the same step
    /// (a signal arriving meanwhile is not lost).
    static func take(_ signal: Int32) -> Bool {
        bits.bitwiseAnd(~bit(signal), ordering: .relaxed).oldValue & bit(signal) != 0
    }
}

private func installSignalHandlers(_ signals: [HandledSignal]) {
    // Initialises the lazy global before any handler can run (a handler must not).
    for handled in signals { _ = PendingSignals.take(handled.signal) }
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = { signal in PendingSignals.record(signal) }
    #else
    action.__sigaction_u.__sa_handler = { signal in PendingSignals.record(signal) }
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    for handled in signals { sigaction(handled.signal, &action, nil) }
}

/// What the first pending signal of `signals` asks the solver to do (logging it);
/// signals whose effect is `none` are dropped. Reads the flags, allocates nothing
/// unless a signal arrived.
private func requestedAction(_ signals: [HandledSignal], log: SolverLog) -> SolverAction {
    for i in signals.indices where PendingSignals.take(signals[i].signal) {
        let name = signals[i].name
        switch signals[i].effect {
        case nil:
            log.info("Snapshotting and stopping (\(name))…")
            return .snapshotAndStop
        case .stop?:
            log.info("Stopping (\(name))")
            return .stop
        case .snapshot?:
            log.info("Snapshotting (\(name))")
            return .snapshot
        case SignalEffect.none?:
            continue
        }
    }
    return .none
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train or fine-tune a net with a Caffe solver definition.",
        discussion: """
            Reads the solver (.prototxt), builds its TRAIN net and TEST net(s) (net paths are \
            relative to the current directory, as in Caffe) and trains to max_iter, logging \
            in Caffe's format and writing <prefix>_iter_<N>.caffemodel/.solverstate snapshots.

            --level and --stage set the train net's state (the test nets take test_state). \
            Ctrl-C (SIGINT) and SIGTERM (what SLURM and Kubernetes send to stop a job) \
            snapshot and stop; SIGHUP snapshots and continues. --check_numerics checks \
            every layer's outputs and gradients for NaN/inf (slower).

            Under mpirun (or with --distributed) every process trains one share of each \
            global batch and the gradients are averaged over all of them (docs/distributed.md).

            Examples:
              swiftcaffe train --solver models/bvlc_alexnet/solver.prototxt
              swiftcaffe train --solver solver.prototxt --snapshot snap/alexnet_iter_5000.solverstate
              swiftcaffe train --solver solver.prototxt --weights bvlc_alexnet.caffemodel
              mpirun -np 4 --hostfile hosts --bind-to none swiftcaffe train --solver solver.prototxt
            """
    )

    @Option(help: "The solver definition (.prototxt).")
    var solver: String

    @Option(help: "A .solverstate to resume training from.")
    var snapshot: String?

    @Option(help: "Comma-separated .caffemodel files to initialise the weights from (fine-tuning).")
    var weights: String?

    @Option(name: .customLong("sigint_effect"),
            help: "What SIGINT (Ctrl-C) does: stop, snapshot or none (default: snapshot, then stop).")
    var sigintEffect: SignalEffect?

    @Option(name: .customLong("sighup_effect"), help: "What SIGHUP does: stop, snapshot or none.")
    var sighupEffect: SignalEffect = .snapshot

    @Option(name: .customLong("sigterm_effect"),
            help: "What SIGTERM (a scheduler stopping the job) does: stop, snapshot or none (default: snapshot, then stop).")
    var sigtermEffect: SignalEffect?

    @Flag(name: .customLong("check_numerics"),
          help: "Stop at the first layer whose output or gradient is NaN or infinite, naming it and the iteration.")
    var checkNumerics = false

    @OptionGroup var rules: NetRuleOptions

    @OptionGroup var engine: EngineOptions

    @Option(help: "Also append the log lines to this file, each behind glog's timestamp prefix (plot --x seconds reads it).")
    var log: String?

    @Flag(help: "Train data-parallel over MPI even if the environment does not show mpirun.")
    var distributed = false

    @Option(name: .customLong("bucket_mb"),
            help: "Under mpirun: gradients are all-reduced in buckets of about this many MB.")
    var bucketMB: Double = 25

    @Option(help: "Under mpirun: start each bucket's all-reduce during backward (true) or after it (false).")
    var overlap: Bool = true

    @Option(name: .customLong("weight_check_interval"),
            help: "Under mpirun: check that all ranks hold the same weights every this many iterations (0: never).")
    var weightCheckInterval: Int = 100

    func validate() throws {
        if snapshot != nil && weights != nil {
            throw ValidationError("give --snapshot to resume training or --weights to fine-tune, not both")
        }
        try reportingErrors {
            if let snapshot, snapshot.hasSuffix(".caffemodel") {
                throw SwiftCaffeError(.usage, "--snapshot expects a .solverstate, but '\(snapshot)' is a model",
                                      hint: "use --weights \(snapshot) to start from its weights")
            }
            try WeightsFlag.requireModels(weightFiles) { "use --snapshot \($0) to resume training from it" }
            guard bucketMB > 0 else {
                throw SwiftCaffeError(.usage, "--bucket_mb must be positive (got \(bucketMB))", hint: "try --bucket_mb 25")
            }
            guard weightCheckInterval >= 0 else {
                throw SwiftCaffeError(.usage, "--weight_check_interval must not be negative", hint: "0 turns the check off")
            }
        }
    }

    /// The files of --weights.
    private var weightFiles: [String] { (weights ?? "").split(separator: ",").map(String.init) }

    func run() throws {
        guard distributed || MPIWorld.isUnderMPIRun() else { return try train(parallel: nil) }
        let world = try MPIWorld.start()
        let parallel = DataParallel(world: world, bucketBytes: Int(bucketMB * 1_048_576), overlaps: overlap,
                                    weightCheckInterval: weightCheckInterval)
        do {
            try train(parallel: parallel)
        } catch var error as SwiftCaffeError where world.rank > 0 {
            error.message = "rank \(world.rank) of \(world.size): " + error.message
            throw error  // the rank exits without MPI_Finalize: mpirun ends the job
        }
        world.finish()
    }

    private func train(parallel: DataParallel?) throws {
        // Under mpirun rank 0 alone logs (and writes --log).
        let leads = parallel?.isLeader ?? true
        // --log gets every line stamped (StampedLogFile); standard output stays plain.
        let stampedLog = try leads ? log.map(StampedLogFile.init(path:)) : nil
        let logger = try SolverLog(echo: leads, record: stampedLog != nil, progress: leads)
        func catchUp() { stampedLog?.catchUp(with: logger) }
        defer {
            catchUp()
            logger.finishProgress()
        }
        var definition = try Solver.load(path: solver)
        for note in definition.notes { logger.info("Note: \(note)") }
        let seed: UInt64
        if definition.param.randomSeed >= 0 {
            seed = UInt64(definition.param.randomSeed)
        } else {
            seed = UInt64.random(in: 0...UInt64(Int64.max))
            definition.param.randomSeed = Int64(seed)
            logger.info("Random seed: \(seed) (random_seed not set; add 'random_seed: \(seed)' to repeat this run)")
        }
        let random = RandomSource(seed: seed)
        let solver = try Solver.make(definition: definition,
                                     options: .init(level: rules.level, stages: rules.stage, engine: try engine.selected(),
                                                    distributed: parallel),
                                     random: random, log: logger)
        if let snapshot {
            logger.info("Resuming from \(snapshot)")
            try solver.restore(from: snapshot)
        } else {
            for file in weightFiles {
                logger.info("Finetuning from \(file)")
                let proto = try Net.readWeights(file)
                try solver.net.copyTrainedLayers(from: proto, source: "'\(file)'")
                for testNet in solver.testNets { try testNet.copyTrainedLayers(from: proto, source: "'\(file)'") }
            }
        }
        solver.checksNumerics = checkNumerics
        catchUp()
        if stampedLog != nil { solver.beforeForward = { _ in catchUp() } }
        let signals = [HandledSignal(signal: SIGINT, name: "SIGINT", effect: sigintEffect),
                       HandledSignal(signal: SIGHUP, name: "SIGHUP", effect: sighupEffect),
                       HandledSignal(signal: SIGTERM, name: "SIGTERM", effect: sigtermEffect)]
        installSignalHandlers(signals)
        // Checked once per iteration.
        solver.actionRequest = {
            let action = requestedAction(signals, log: logger)
            catchUp()
            return action
        }
        logger.info("Starting Optimization")
        let startIter = solver.iter
        let clock = ContinuousClock()
        let started = clock.now
        try solver.solve()
        logger.info(trainingReport(solver: solver, iterations: solver.iter - startIter,
                                   seconds: (clock.now - started).seconds))
        if let gradients = solver.gradients, gradients.iterations > 0 {
            logger.info("All-reduce: \(gradients.bucketCount) bucket\(gradients.bucketCount == 1 ? "" : "s"), waited "
                        + String(format: "%.3f", gradients.waitSeconds * 1000 / Double(gradients.iterations))
                        + " ms per iteration after backward (\(gradients.overlaps ? "overlapping" : "not overlapping"))")
        }
    }
}

/// "Trained 10000 iterations in 312.4 s (2048.3 images/s); peak memory 151 MB":
/// the figures benchmarks/BENCHMARKS.md records.
private func trainingReport(solver: Solver, iterations: Int, seconds: Double) -> String {
    var line = "Trained \(iterations) iterations in \(String(format: "%.1f", seconds)) s"
    let batch = solver.net.layers.compactMap { $0 as? ResumableDataSource }.first?.examplesPerBatch
    if let batch, let rate = Throughput.imagesPerSecond(images: iterations * max(Int(solver.param.iterSize), 1) * batch,
                                                        seconds: seconds) {
        line += " (\(String(format: "%.1f", rate)) images/s)"
    }
    var usage = rusage()
    if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
        line += "; peak memory \(usage.ru_maxrss / 1024) MB"  // ru_maxrss is in KiB on Linux
    }
    return line
}

private extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
