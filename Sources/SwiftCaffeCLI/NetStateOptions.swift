import ArgumentParser
import CaffeProto
import SwiftCaffe

/// Caffe's net-state flags: --phase, --level, --stage (repeatable).
struct NetStateOptions: ParsableArguments {
    @Option(help: "Net phase: TRAIN or TEST (default: the file's state, normally TEST).")
    var phase: PhaseArgument?

    @Option(help: "Net level, matched against min_level/max_level rules.")
    var level: Int32?

    @Option(help: ArgumentHelp("A stage, matched against stage/not_stage rules (repeatable).",
                               valueName: "stage"))
    var stage: [String] = []

    func buildOptions(inspectOnly: Bool) -> NetBuildOptions {
        NetBuildOptions(phase: phase?.phase, level: level, stages: stage, inspectOnly: inspectOnly)
    }
}

enum PhaseArgument: String, ExpressibleByArgument, CaseIterable {
    case train = "TRAIN", test = "TEST"

    init?(argument: String) {
        switch argument.uppercased() {
        case "TRAIN": self = .train
        case "TEST": self = .test
        default: return nil
        }
    }

    var phase: Caffe_Phase { self == .train ? .train : .test }
}
