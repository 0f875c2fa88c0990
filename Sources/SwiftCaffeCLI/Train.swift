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

/// Signals received and not yet handled: the only state the signal handlers touch.
/// A handler may only do async-signal-safe things, and a store to a lock-free atomic is
/// one (Synchronization's `Atomic` is always lock-free), so the flags are `Atomic`s and
/// the handler does nothing but `record`. Slot 0: SIGINT, slot 1: SIGHUP.
enum PendingSignals {
    private static let interrupt = Atomic<Bool>(false)
    private static let hangUp = Atomic<Bool>(false)

    /// The handlers' only call: one atomic store.
    static func record(_ signal: Int32) {
        if signal == SIGINT {
            interrupt.store(true, ordering: .relaxed)
        } else {
            hangUp.store(true, ordering: .relaxed)
        }
    }

    /// Whether slot's signal arrived since the last call, clearing it in the same step
    /// (a signal arriving meanwhile is not lost).
    static func take(_ slot: Int) -> Bool {
        slot == 0 ? interrupt.exchange(false, ordering: .relaxed) : hangUp.exchange(false, ordering: .relaxed)
    }
}

private func installSignalHandlers() {
    // Initialises the lazy globals before any handler can run (a handler must not).
    _ = PendingSignals.take(0)
    _ = PendingSignals.take(1)
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = { signal in PendingSignals.record(signal) }
    #else
    action.__sigaction_u.__sa_handler = { signal in PendingSignals.record(signal) }
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(SIGINT, &action, nil)
    sigaction(SIGHUP, &action, nil)
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train or fine-tune a net with a Caffe solver definition.",
        discussion: """
            Reads the solver (.prototxt), builds its TRAIN net and TEST net(s) (net paths are \
            relative to the current directory, as in Caffe) and trains to max_iter, logging \
            in Caffe's format and writing <prefix>_iter_<N>.caffemodel/.solverstate snapshots.

            --level and --stage set the train net's state (the test nets take test_state). \
            Ctrl-C (SIGINT) snapshots and stops; SIGHUP snapshots and continues. \
            --check_numerics checks every layer's outputs and gradients for NaN/inf (slower).

            Examples:
              swiftcaffe train --solver models/bvlc_alexnet/solver.prototxt
              swiftcaffe train --solver solver.prototxt --snapshot snap/alexnet_iter_5000.solverstate
              swiftcaffe train --solver solver.prototxt --weights bvlc_alexnet.caffemodel
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

    @Flag(name: .customLong("check_numerics"),
          help: "Stop at the first layer whose output or gradient is NaN or infinite, naming it and the iteration.")
    var checkNumerics = false

    @OptionGroup var rules: NetRuleOptions

    @Option(help: "Also append the log lines to this file.")
    var log: String?

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
        }
    }

    /// The files of --weights.
    private var weightFiles: [String] { (weights ?? "").split(separator: ",").map(String.init) }

    func run() throws {
        let logger = try SolverLog(path: log, progress: true)
        defer { logger.finishProgress() }
        var (param, notes) = try Solver.loadParameter(path: solver)
        for note in notes { logger.info("Note: \(note)") }
        let seed: UInt64
        if param.randomSeed >= 0 {
            seed = UInt64(param.randomSeed)
        } else {
            seed = UInt64.random(in: 0...UInt64(Int64.max))
            param.randomSeed = Int64(seed)
            logger.info("Random seed: \(seed) (random_seed not set; add 'random_seed: \(seed)' to repeat this run)")
        }
        let random = RandomSource(seed: seed)
        let solver = try Solver.make(param: param, options: .init(level: rules.level, stages: rules.stage),
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
        let sigint = sigintEffect, sighup = sighupEffect
        installSignalHandlers()
        // Checked once per iteration: reads the handlers' flags, allocates nothing.
        solver.actionRequest = {
            for slot in 0..<2 where PendingSignals.take(slot) {
                let name = slot == 0 ? "SIGINT" : "SIGHUP"
                switch slot == 0 ? sigint : sighup {
                case nil:
                    logger.info("Snapshotting and stopping (\(name))…")
                    return .snapshotAndStop
                case .stop?:
                    logger.info("Stopping (\(name))")
                    return .stop
                case .snapshot?:
                    logger.info("Snapshotting (\(name))")
                    return .snapshot
                case SignalEffect.none?:
                    continue
                }
            }
            return .none
        }
        logger.info("Starting Optimization")
        let startIter = solver.iter
        let clock = ContinuousClock()
        let started = clock.now
        try solver.solve()
        logger.info(trainingReport(solver: solver, iterations: solver.iter - startIter,
                                   seconds: (clock.now - started).seconds))
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
