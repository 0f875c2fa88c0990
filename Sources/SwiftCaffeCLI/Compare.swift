import ArgumentParser
import Foundation
import SwiftCaffe

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare nets side by side: layers, shapes, parameters, cost and what differs.",
        discussion: """
            Lines up the layers of two or more nets by name (and, where names differ, by \
            type and position), shows each net's type, top shapes, learnable parameters, \
            multiply-adds per image and activation memory per line, marks what differs \
            (layer order, kernel/stride/pad, groups, fillers, lr_mult/decay_mult, dropout \
            ratio and any other field of the layer's definition) and ends with the totals.

            With --solver (two or more), trains each solver configuration in turn — the \
            same 'swiftcaffe train', in its own process, with the same --seed — and shows \
            their loss and test outputs side by side at the same iterations, then wall \
            time, images/s and each process's peak memory; -o DIR also writes the curves \
            (SVG), a Markdown table, the HTML report and each run's log.

            Examples:
              swiftcaffe compare models/bvlc_alexnet/deploy.prototxt models/bvlc_reference_caffenet/deploy.prototxt
              swiftcaffe compare --solver a_solver.prototxt --solver b_solver.prototxt --iterations 500 -o runs/
            """
    )

    @Argument(help: "Two or more net definitions (.prototxt).")
    var nets: [String] = []

    @Option(help: "A solver definition to train and compare (repeatable, two or more; instead of nets).")
    var solver: [String] = []

    @Option(help: "With --solver: the random_seed of every run (default: the first solver's, else 1).")
    var seed: Int64?

    @Option(name: .shortAndLong, help: "With --solver: a folder for the runs' logs, curves, table and report.")
    var output: String?

    @OptionGroup var state: NetStateOptions

    @Flag(help: "Write a Markdown table instead of aligned plain text.")
    var markdown = false

    @Flag(help: "Also measure each layer's forward and backward milliseconds (runs the nets).")
    var time = false

    @Option(help: "Timed iterations per net with --time (after one warm-up; default 5), or with --solver the iterations to train (default: each solver's max_iter).")
    var iterations: Int?

    @Option(help: "Batch size for every net (overrides the first dimension of the inputs).")
    var batch: Int?

    func validate() throws {
        if let iterations, iterations <= 0 { throw ValidationError("--iterations must be positive") }
        if !solver.isEmpty {
            guard nets.isEmpty else { throw ValidationError("give net files or --solver files, not both") }
            guard solver.count >= 2 else { throw ValidationError("compare --solver needs at least two solvers (got 1)") }
            guard !time, !markdown, batch == nil else {
                throw ValidationError("--time, --markdown and --batch compare net files; --solver runs are compared by training")
            }
            return
        }
        guard seed == nil, output == nil else { throw ValidationError("--seed and -o go with --solver") }
        guard nets.count >= 2 else { throw ValidationError("compare needs at least two net files (got \(nets.count))") }
    }

    func run() throws {
        if !solver.isEmpty { return try compareSolvers() }
        let iterations = self.iterations ?? 5
        var definitions: [NetDefinition] = []
        for file in nets {
            var definition = try NetDefinition.load(path: file)
            if let batch { definition = try definition.withBatchSize(batch) }
            definitions.append(definition)
        }
        let labels = NetComparison.labels(netNames: definitions.map(\.param.name), files: nets)
        var members: [NetComparison.Member] = []
        for (i, definition) in definitions.enumerated() {
            let net = try NetBuilder.build(definition, options: state.buildOptions(inspectOnly: true))
            var timing: NetTimer.Result?
            if time {
                // One net at a time, so only one is in memory while it runs.
                let (runnable, replaced) = try definition.buildForTiming(options: state.buildOptions(inspectOnly: false))
                // A train_val file has a data layer per phase, usually both named "data".
                for (k, name) in replaced.enumerated() where !replaced[..<k].contains(name) {
                    let note = "Note: \(labels[i]): data layer '\(name)' replaced by DummyData of the same shape for timing\n"
                    FileHandle.standardError.write(Data(note.utf8))
                }
                timing = try NetTimer(net: runnable).run(iterations: iterations)
            }
            members.append(NetComparison.Member(label: labels[i], file: nets[i], net: net, timing: timing))
        }
        let comparison = NetComparison(members: members)
        print(markdown ? comparison.renderMarkdown() : comparison.render())
    }
}
