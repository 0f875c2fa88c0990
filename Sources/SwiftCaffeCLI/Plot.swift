import ArgumentParser
import Foundation
import SwiftCaffe

extension TrainingPlot.XAxis: ExpressibleByArgument {}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plot training logs: loss, test outputs and learning rate, several runs in one SVG.",
        discussion: """
            Reads SwiftCaffe's training logs (swiftcaffe train --log FILE, or its standard \
            output) and Caffe's own glog logs (caffe train … 2>&1 | tee FILE), and draws one \
            panel for the training loss, one per test output and one for the learning rate, \
            each log in its own colour with a legend. --x seconds uses the logs' timestamps \
            (Caffe's glog lines and compare --solver's run logs have them). --csv PREFIX \
            also writes PREFIX.train.csv and PREFIX.test.csv as Caffe's parse_log.py does \
            (PREFIX.<label>.train.csv … for several logs).

            Example: swiftcaffe plot alexnet.log caffenet.log -o curves.svg
            """
    )

    @Argument(help: "Training logs (SwiftCaffe's or Caffe's).")
    var logs: [String]

    @Option(name: .shortAndLong, help: "The SVG file to write.")
    var output: String?

    @Option(help: "The horizontal axis: iterations or seconds.")
    var x: TrainingPlot.XAxis = .iterations

    @Flag(name: .customLong("log-loss"), help: "Draw the loss panels on a logarithmic axis.")
    var logLoss = false

    @Option(help: "Also write PREFIX.train.csv and PREFIX.test.csv (parse_log.py's tables).")
    var csv: String?

    func validate() throws {
        guard !logs.isEmpty else { throw ValidationError("plot needs at least one log file") }
        guard output != nil || csv != nil else { throw ValidationError("give -o FILE.svg, --csv PREFIX or both") }
    }

    func run() throws {
        let labels = TrainingPlot.labels(paths: logs)
        var runs: [TrainingPlot.Run] = []
        for (path, label) in zip(logs, labels) { runs.append(.init(label: label, log: try TrainingLog.read(path: path))) }
        let plot = try TrainingPlot(runs: runs, xAxis: x, logarithmicLoss: logLoss)
        if let output {
            try AtomicFile.write(Data(plot.svg().utf8), to: output)
            let panels = plot.panels.map(\.title).joined(separator: ", ")
            print("Wrote \(output) (\(runs.count) run\(runs.count == 1 ? "" : "s"); panels: \(panels))")
        }
        if let csv {
            for run in runs {
                let stem = runs.count == 1 ? csv : "\(csv).\(run.label.replacingOccurrences(of: "/", with: "_"))"
                var written = ["\(stem).train.csv"]
                try AtomicFile.write(Data(run.log.trainCSV().utf8), to: "\(stem).train.csv")
                for k in run.log.test.indices {
                    let name = k == 0 ? "\(stem).test.csv" : "\(stem).test\(k).csv"
                    try AtomicFile.write(Data(run.log.testCSV(net: k).utf8), to: name)
                    written.append(name)
                }
                let testRows = run.log.test.first?.rows.count ?? 0
                print("Wrote \(written.joined(separator: ", ")) (\(run.log.train.rows.count) train rows, "
                      + "\(testRows) test rows, from \(run.log.format.rawValue) log \(run.log.source))")
            }
        }
    }
}
