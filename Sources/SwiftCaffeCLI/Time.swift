import ArgumentParser
import CaffeProto
import Foundation
import SwiftCaffe

struct Time: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a net's forward and backward passes, layer by layer.",
        discussion: """
            Prints per-layer average forward and backward milliseconds and, in Caffe's \
            wording, "Average Forward pass", "Average Backward pass" and \
            "Average Forward-Backward", plus images per second. The net is built in \
            phase TRAIN unless --phase TEST. Deploy nets (no loss) are timed backward from their outputs to their inputs. Data layers whose \
            database is not available are replaced by DummyData of the same shape (from \
            --data-shape N,C,H,W when their parameters do not imply it).

            With --solver, each iteration also runs that solver's parameter update (clipping, \
            regularization, the update rule at base_lr) and zeroes the parameter diffs, as a \
            training step does, and prints their average times on their own.

            Example: swiftcaffe time --model models/bvlc_reference_caffenet/deploy.prototxt --batch 64
            """
    )

    @Option(help: "The net definition (.prototxt).")
    var model: String

    @Option(help: "Number of timed iterations (after one warm-up).")
    var iterations: Int = 50

    @Option(help: "Batch size (overrides the first dimension of the net's inputs).")
    var batch: Int?

    @OptionGroup var state: NetStateOptions

    @OptionGroup var data: DataShapeOptions

    @OptionGroup var engine: EngineOptions

    @Option(help: "A solver definition whose parameter update is timed after each backward pass.")
    var solver: String?

    // The pre-#11 update in whole-blob passes: the baseline of benchmarks/BENCHMARKS.md's update figures.
    @Flag(help: .hidden)
    var separateUpdatePasses = false

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        try reportingErrors {
            if let batch, batch <= 0 { throw SwiftCaffeError(.usage, "--batch must be positive (got \(batch))") }
            _ = try data.shapes()
        }
    }

    func run() throws {
        var definition = try NetDefinition.load(path: model)
        if let batch { definition = try definition.withBatchSize(batch) }
        // Caffe's `time` default phase; --data-shape shapes data layers without their database.
        var options = try data.applied(to: state.buildOptions(inspectOnly: false, defaultPhase: .train))
        options.engine = try engine.selected()
        let (net, replaced) = try definition.buildForTiming(options: options)
        for name in replaced {
            print("Note: data layer '\(name)' replaced by DummyData of the same shape for timing")
        }
        print("Threads: \(ThreadSettings.current); \(ThreadSettings.waitingDescription)")
        var update: NetTimer.Update?, rule: UpdateRule?
        if let solver {
            let param = try Solver.loadParameter(path: solver).param
            let solverRule = try UpdateRule(param, params: net.learnableParams,
                                            lrMultipliers: net.paramLearningRateMultipliers,
                                            decayMultipliers: net.paramDecayMultipliers)
            let rate = param.baseLr, separate = separateUpdatePasses
            update = NetTimer.Update(apply: {
                if separate {
                    solverRule.applyInSeparatePasses(rate: rate, iter: 0)
                } else {
                    solverRule.apply(rate: rate, iter: 0)
                }
            }, zeroDiffs: solverRule.zeroDiffs)
            rule = solverRule
        }
        print("*** Benchmark begins ***")
        print("Testing for \(iterations) iterations.")
        let result = try NetTimer(net: net, update: update).run(iterations: iterations) { i, ms in
            print("Iteration: \(i) forward-backward time: \(Self.format(ms)) ms.")
        }
        print("Average time per layer: ")
        let width = result.layerNames.map(\.count).max() ?? 0
        for i in result.layerNames.indices {
            let name = String(repeating: " ", count: width - result.layerNames[i].count) + result.layerNames[i]
            print("\(name)\tforward: \(Self.format(result.forwardMilliseconds[i])) ms.")
            print("\(name)\tbackward: \(Self.format(result.backwardMilliseconds[i])) ms.")
        }
        print("Engine per layer (layout conversions, included above): ")
        for i in result.layerNames.indices {
            let name = String(repeating: " ", count: width - result.layerNames[i].count) + result.layerNames[i]
            let conversions = result.conversionMilliseconds[i]
            print("\(name)\tengine: \(result.engines[i])"
                  + (conversions > 0 ? ", conversions: \(Self.format(conversions)) ms." : ""))
        }
        print("Layout conversions: \(Self.format(result.conversionMilliseconds.reduce(0, +))) ms.")
        print("Average Forward pass: \(Self.format(result.averageForward)) ms.")
        print("Average Backward pass: \(Self.format(result.averageBackward)) ms.")
        print("Average Forward-Backward: \(Self.format(result.averageForwardBackward)) ms.")
        if let rule {
            let parameters = rule.params.reduce(0) { $0 + $1.count }
            let passes = separateUpdatePasses ? "in separate passes" : "fused"
            print("Average Update (\(rule.type.rawValue), \(parameters) parameters, \(passes)): "
                  + "\(Self.format(result.updateMilliseconds)) ms.")
            print("Average zeroing of the parameter diffs: \(Self.format(result.zeroDiffMilliseconds)) ms.")
            print("Average Forward-Backward-Update: "
                  + "\(Self.format(result.averageForwardBackward + result.updateMilliseconds + result.zeroDiffMilliseconds)) ms.")
        }
        print("Total Time: \(Self.format(result.totalMilliseconds)) ms.")
        print("Images per second: \(String(format: "%.1f", result.imagesPerSecond)) (batch \(result.batchSize))")
        print("*** Benchmark ends ***")
    }

    static func format(_ ms: Double) -> String {
        ms >= 100 ? String(format: "%.0f", ms) : String(format: "%.4g", ms)
    }
}
