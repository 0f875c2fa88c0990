import ArgumentParser
import CaffeProto
import SwiftCaffe

/// Caffe's net-state flags: --phase, and the rule flags --level and --stage.
struct NetStateOptions: ParsableArguments {
    @Option(help: "Net phase: TRAIN or TEST (default: TEST for test, TRAIN for time, the file's state for summary).")
    var phase: PhaseArgument?

    @OptionGroup var rules: NetRuleOptions

    /// The build options for these flags; without --phase, `defaultPhase` (nil: the file's state).
    func buildOptions(inspectOnly: Bool, defaultPhase: Caffe_Phase? = nil) -> NetBuildOptions {
        NetBuildOptions(phase: phase?.phase ?? defaultPhase, level: rules.level, stages: rules.stage,
                        inspectOnly: inspectOnly)
    }
}

/// --data-shape (repeatable), for summary, draw and time: the shapes of data layers
/// whose database or list file does not exist yet.
struct DataShapeOptions: ParsableArguments {
    @Option(name: .customLong("data-shape"),
            help: ArgumentHelp("The shape of the data layers' first top when their source does not exist: "
                               + "N,C,H,W for all, or top=N,C,H,W for one (repeatable); a label top gets N.",
                               valueName: "shape"))
    var dataShape: [String] = []

    /// Checked in the command's `validate()`, so a bad shape is a usage error.
    func shapes() throws -> DataShapes { try DataShapes(parsing: dataShape) }

    /// `options` with these shapes.
    func applied(to options: NetBuildOptions) throws -> NetBuildOptions {
        var options = options
        options.dataShapes = try shapes()
        return options
    }
}

/// Caffe's --level and --stage (repeatable), matched against a net's include/exclude
/// rules; `train` applies them to its train net.
struct NetRuleOptions: ParsableArguments {
    @Option(help: "Net level, matched against min_level/max_level rules.")
    var level: Int32?

    @Option(help: ArgumentHelp("A stage, matched against stage/not_stage rules (repeatable).",
                               valueName: "stage"))
    var stage: [String] = []
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
