import ArgumentParser
import CaffeProto
import Foundation
import SwiftCaffe

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a trained model: run forward passes and average its outputs.",
        discussion: """
            Builds the net (phase TEST unless --phase TRAIN), loads --weights, runs \
            --iterations forward passes and prints, as Caffe does, "Batch k, name = v" for \
            every output, "Loss: x", then each output's average.

            Example: swiftcaffe test --model train_val.prototxt --weights snap_iter_1000.caffemodel --iterations 100
            """
    )

    @Option(help: "The net definition (.prototxt).")
    var model: String

    @Option(help: "The trained weights (.caffemodel).")
    var weights: String

    @Option(help: "Number of forward passes.")
    var iterations: Int = 50

    @OptionGroup var state: NetStateOptions

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        try reportingErrors {
            try WeightsFlag.requireModels([weights]) { _ in "score the .caffemodel saved with it" }
        }
    }

    func run() throws {
        let definition = try NetDefinition.load(path: model)
        var options = state.buildOptions(inspectOnly: false, defaultPhase: .test)
        options.engine = engine.selected()
        let net = try NetBuilder.build(definition, options: options)
        let proto = try Net.readWeights(weights)
        try net.copyTrainedLayers(from: proto, source: "'\(weights)'")
        print("Running for \(iterations) iterations.")
        var scorer = NetScorer(net: net)
        for i in 0..<iterations {
            try scorer.scoreBatch { print("Batch \(i), \($0.name) = \(SolverLog.number($0.value))") }
        }
        print("Loss: \(SolverLog.number(scorer.meanLoss))")
        for score in scorer.means { print(score) }
    }
}
