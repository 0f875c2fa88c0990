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

    @Option(help: "Net phase: TRAIN or TEST.")
    var phase: PhaseArgument = .test

    @Option(help: "Net level, matched against min_level/max_level rules.")
    var level: Int32?

    @Option(help: ArgumentHelp("A stage, matched against stage/not_stage rules (repeatable).", valueName: "stage"))
    var stage: [String] = []

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let definition = try NetDefinition.load(path: model)
            let net = try NetBuilder.build(definition, options: NetBuildOptions(phase: phase.phase, level: level, stages: stage))
            let proto = try Net.readWeights(weights)
            try net.copyTrainedLayers(from: proto, source: "'\(weights)'")
            print("Running for \(iterations) iterations.")
            var lossWeights = Array(repeating: Float(0), count: net.blobs.count)
            for (i, layer) in net.layers.enumerated() {
                for (j, w) in layer.lossWeights.enumerated() where w != 0 { lossWeights[net.topIDs[i][j]] = w }
            }
            var scores: [Float] = [], scoreOutput: [Int] = []
            var loss: Float = 0
            for i in 0..<iterations {
                loss += try net.forward()
                var index = 0
                for id in net.outputIDs {
                    let blob = net.blobs[id]
                    for k in 0..<blob.count {
                        let score = blob.data[k]
                        if i == 0 {
                            scores.append(score)
                            scoreOutput.append(id)
                        } else {
                            scores[index] += score
                        }
                        index += 1
                        print("Batch \(i), \(net.blobNames[id]) = \(SolverLog.number(score))")
                    }
                }
            }
            print("Loss: \(SolverLog.number(loss / Float(iterations)))")
            for (score, id) in zip(scores, scoreOutput) {
                let mean = score / Float(iterations), w = lossWeights[id]
                let note = w == 0 ? "" : " (* \(SolverLog.number(w)) = \(SolverLog.number(w * mean)) loss)"
                print("\(net.blobNames[id]) = \(SolverLog.number(mean))" + note)
            }
        }
    }
}
