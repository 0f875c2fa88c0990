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

            --oversample scores every example by the average softmax of its ten patches (4 \
            corners + centre, and their mirrors, as the AlexNet paper tests): the data layers \
            (Data or ImageData with crop_size) hand each batch out as ten passes, the scores \
            read by the Accuracy layers are averaged, and Accuracy and the loss are computed \
            from the average; the centre-crop figures of the same passes are printed beside them.

            Example: swiftcaffe test --model train_val.prototxt --weights snap_iter_1000.caffemodel --iterations 100
            """
    )

    @Option(help: "The net definition (.prototxt).")
    var model: String

    @Option(help: "The trained weights (.caffemodel).")
    var weights: String

    @Option(help: "Number of forward passes.")
    var iterations: Int = 50

    @Flag(help: "Average the softmax over 10 crops per example (4 corners + centre, mirrored too).")
    var oversample = false

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
        options.engine = try engine.selected()
        let net = try NetBuilder.build(definition, options: options)
        let proto = try Net.readWeights(weights)
        try net.copyTrainedLayers(from: proto, source: "'\(weights)'")
        if oversample { return try runTenCrop(net) }
        print("Running for \(iterations) iterations.")
        var scorer = NetScorer(net: net)
        for i in 0..<iterations {
            try scorer.scoreBatch { print("Batch \(i), \($0.name) = \(SolverLog.number($0.value))") }
        }
        print("Loss: \(SolverLog.number(scorer.meanLoss))")
        for score in scorer.means { print(score) }
    }

    /// --oversample: Caffe's lines for the 10-crop figures, each with its centre-crop
    /// value, then both side by side.
    private func runTenCrop(_ net: Net) throws {
        let scorer = try TenCropScorer(net: net)
        let averaged = scorer.scoreNames.map { "'\($0)'" }.joined(separator: ", ")
        print("Running for \(iterations) iterations, 10 crops per example "
              + "(4 corners + centre, and their mirrors; averaging the softmax of \(averaged)).")
        for i in 0..<iterations {
            try scorer.scoreBatch { tenCrop, centre in
                print("Batch \(i), \(tenCrop.name) = \(SolverLog.number(tenCrop.value)) "
                      + "(centre crop: \(SolverLog.number(centre.value)))")
            }
        }
        print("Loss: \(SolverLog.number(scorer.tenCrop.meanLoss)) "
              + "(centre crop: \(SolverLog.number(scorer.centre.meanLoss)))")
        let tenCrop = scorer.tenCrop.means, centre = scorer.centre.means
        for score in tenCrop { print(score) }
        print("")
        var table = TextTable(columns: [.init("output"), .init("centre crop", rightAligned: true),
                                        .init("10 crops", rightAligned: true), .init("difference", rightAligned: true)])
        for (a, b) in zip(centre, tenCrop) {
            table.append([a.name, String(format: "%.4f", a.value), String(format: "%.4f", b.value),
                          String(format: "%+.4f", b.value - a.value)])
        }
        for line in table.plainLines() { print(line) }
    }
}
