import CaffeProto
import Foundation
import SwiftCaffe

extension Compare {
    /// `compare --solver A --solver B …`: each configuration trained in turn by
    /// `swiftcaffe train` in a child process, from a copy of its solver file with the
    /// shared seed, the iteration count and its own snapshot folder; then the runs
    /// side by side.
    func compareSolvers() throws {
        let files = FileManager.default
        let folder: String
        let temporary = output == nil
        if let output {
            folder = output
        } else {
            folder = files.temporaryDirectory.appendingPathComponent("swiftcaffe-compare-\(getpid())").path
        }
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if temporary { try? files.removeItem(atPath: folder) } }

        let definitions = try solver.map { try Solver.load(path: $0) }
        let fileSeed = definitions.map(\.param.randomSeed).first(where: { $0 >= 0 })
        let seed: Int64 = self.seed ?? fileSeed ?? 1
        let labels = TrainingPlot.labels(paths: solver).map { $0.replacingOccurrences(of: "/", with: "_") }
        print("Training \(solver.count) configurations in turn, random_seed \(seed)"
              + (iterations.map { ", \($0) iterations each" } ?? "") + (temporary ? "" : "; runs in \(folder)/"))

        var runs: [SolverComparison.Run] = []
        for (i, definition) in definitions.enumerated() {
            var param = definition.param
            param.randomSeed = seed
            if let iterations { param.maxIter = Int32(clamping: iterations) }
            // Snapshots of the runs go into the folder, never over the solver's own prefix.
            param.snapshot = 0
            param.snapshotAfterTrain = false
            param.snapshotPrefix = "\(folder)/\(labels[i])"
            let copy = "\(folder)/\(labels[i]).solver.prototxt"
            let header = "# \(solver[i]) as 'swiftcaffe compare --solver' ran it (random_seed, max_iter, snapshots changed)\n"
            try AtomicFile.write(Data((header + param.textFormatString()).utf8), to: copy)
            let logPath = "\(folder)/\(labels[i]).log"
            print("[\(labels[i])] swiftcaffe train --solver \(copy)  (log: \(logPath))")
            let outcome = try TrainingProcess.run(["train", "--solver", copy], logPath: logPath) { line in
                if line.hasPrefix("Iteration ") && (line.contains(", loss = ") || line.contains("Testing net"))
                    || line.contains("Test net output") || line.hasPrefix("Trained ") {
                    print("[\(labels[i])] \(line.trimmingCharacters(in: .whitespaces))")
                    flushStandardOutput()
                }
            }
            guard outcome.status == 0 else {
                throw SwiftCaffeError(.semantic, "training '\(solver[i])' failed (exit status \(outcome.status))",
                                      hint: temporary ? "run 'swiftcaffe train --solver \(solver[i])' to see why"
                                      : "its log is \(logPath)")
            }
            runs.append(.init(label: labels[i], solverFile: solver[i], log: try TrainingLog.read(path: logPath),
                              processSeconds: outcome.seconds, peakResidentKiB: outcome.peakResidentKiB))
        }

        let comparison = SolverComparison(runs: runs)
        let (progress, omitted) = comparison.progressTable(maxRows: 25)
        print("")
        print(progress.plainLines().joined(separator: "\n"))
        if omitted > 0 { print("(\(omitted) more rows in \(temporary ? "the Markdown table of -o DIR" : "\(folder)/comparison.md"))") }
        print("")
        print(comparison.costTable().plainLines().joined(separator: "\n"))
        print("(\(SolverComparison.costNote))")

        guard !temporary else { return }
        let plotRuns = runs.map { TrainingPlot.Run(label: $0.label, log: $0.log) }
        var written: [String] = []
        for axis in TrainingPlot.XAxis.allCases {
            let name = "\(folder)/curves-\(axis.rawValue).svg"
            try AtomicFile.write(Data(try TrainingPlot(runs: plotRuns, xAxis: axis).svg().utf8), to: name)
            written.append(name)
        }
        let command = "swiftcaffe compare " + solver.map { "--solver \($0)" }.joined(separator: " ")
            + (iterations.map { " --iterations \($0)" } ?? "") + " --seed \(seed) -o \(folder)"
        try AtomicFile.write(Data(comparison.markdown(command: command).utf8), to: "\(folder)/comparison.md")
        written.append("\(folder)/comparison.md")
        // The nets the solvers train, each once (solvers differing only in their
        // settings share one net: drawn, with nothing to compare it to).
        var netFiles: [String] = []
        for file in definitions.map(\.param.net) where !netFiles.contains(file) { netFiles.append(file) }
        let nets = netFiles.allSatisfy { !$0.isEmpty }
            ? try ReportNets.make(files: netFiles, options: NetBuildOptions(phase: .train, inspectOnly: true)) : ReportNets()
        let report = HTMLReport(title: "Solver comparison: " + labels.joined(separator: ", "),
                                plot: try TrainingPlot(runs: plotRuns), comparisonHTML: nets.comparisonHTML,
                                drawings: nets.drawings, sections: [("Side by side", comparison.html())])
        try AtomicFile.write(Data(report.render().utf8), to: "\(folder)/report.html")
        written.append("\(folder)/report.html")
        print("Wrote " + written.joined(separator: ", "))
    }
}
