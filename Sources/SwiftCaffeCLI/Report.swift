import ArgumentParser
import Foundation
import SwiftCaffe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page: training curves, run table, nets side by side, drawings.",
        discussion: """
            The page needs nothing but itself (no network, no scripts, no fonts): the curves \
            of the logs as inline SVG (as 'plot' draws them), a table of each run's final \
            and best values, and with --net the nets compared ('compare') and drawn \
            ('draw'; inline SVG through Graphviz's 'dot', or the DOT text when it is \
            missing). --watch rewrites the page (atomically) every --interval seconds while \
            the logs grow, and the page reloads itself as often; Ctrl-C stops, and so does \
            --idle SECONDS of logs not changing.

            Example: swiftcaffe report alexnet.log caffenet.log --net alexnet.prototxt --net caffenet.prototxt -o report.html
            """
    )

    @Argument(help: "Training logs (SwiftCaffe's or Caffe's).")
    var logs: [String]

    @Option(help: "A net definition to compare and draw (repeatable).")
    var net: [String] = []

    @Option(name: .shortAndLong, help: "The HTML file to write.")
    var output: String

    @Option(help: "The curves' horizontal axis: iterations or seconds.")
    var x: TrainingPlot.XAxis = .iterations

    @Flag(name: .customLong("log-loss"), help: "Draw the loss panels on a logarithmic axis.")
    var logLoss = false

    @Flag(help: "Keep rewriting the page while the logs grow (until Ctrl-C, or --idle).")
    var watch = false

    @Option(help: "Seconds between rewrites with --watch.")
    var interval: Double = 5

    @Option(help: "With --watch, stop after the logs have not changed for this many seconds.")
    var idle: Double?

    @OptionGroup var state: NetStateOptions

    func validate() throws {
        guard !logs.isEmpty else { throw ValidationError("report needs at least one log file") }
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
        if let idle, idle <= 0 { throw ValidationError("--idle must be positive") }
    }

    func run() throws {
        let nets = try ReportNets.make(files: net, options: state.buildOptions(inspectOnly: true))
        func write() throws {
            let labels = TrainingPlot.labels(paths: logs)
            var runs: [TrainingPlot.Run] = []
            for (path, label) in zip(logs, labels) { runs.append(.init(label: label, log: try TrainingLog.read(path: path))) }
            let plot = try TrainingPlot(runs: runs, xAxis: x, logarithmicLoss: logLoss)
            let report = HTMLReport(title: "Training report: " + labels.joined(separator: ", "), plot: plot,
                                    comparisonHTML: nets.comparisonHTML, drawings: nets.drawings,
                                    refreshSeconds: watch ? max(1, Int(interval.rounded())) : nil)
            try AtomicFile.write(Data(report.render().utf8), to: output)
        }
        guard watch else {
            try write()
            print("Wrote \(output)")
            return
        }
        try watchLoop(write)
    }

    /// Rewrites while the logs change; a log that cannot be read yet (a run that has not
    /// logged its first iteration) is waited for rather than fatal.
    private func watchLoop(_ write: () throws -> Void) throws {
        signal(SIGINT) { PendingSignals.record($0) }
        signal(SIGTERM) { PendingSignals.record($0) }
        let clock = ContinuousClock()
        var lastChange = clock.now
        var lastStamp: [String] = []
        var rewrites = 0
        print("Watching \(logs.count) log\(logs.count == 1 ? "" : "s"); writing \(output) every \(interval) s (Ctrl-C stops)")
        while true {
            let stamp = logs.map(Self.fileStamp)
            if stamp != lastStamp || rewrites == 0 {
                lastStamp = stamp
                lastChange = clock.now
                do {
                    try write()
                    rewrites += 1
                    print("Wrote \(output) (\(rewrites))")
                } catch let error as SwiftCaffeError {
                    print("Waiting: \(error.message)")
                }
            }
            if let idle, clock.now - lastChange >= .milliseconds(Int64(idle * 1000)) {
                print("The logs have not changed for \(idle) s; stopping")
                break
            }
            var waited = 0.0
            var stop = false
            while waited < interval && !stop {
                usleep(100_000)
                waited += 0.1
                stop = PendingSignals.take(SIGINT) || PendingSignals.take(SIGTERM)
            }
            if stop {
                print("Stopping (signal); \(output) is complete")
                break
            }
        }
        flushStandardOutput()
    }

    /// Size and modification time: what tells a growing log.
    static func fileStamp(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "missing" }
        return "\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}

/// The nets of a report: compared side by side and drawn.
struct ReportNets {
    var comparisonHTML: String?
    var drawings: [HTMLReport.Drawing] = []

    static func make(files: [String], options: NetBuildOptions) throws -> ReportNets {
        guard !files.isEmpty else { return ReportNets() }
        var options = options
        options.allowsUnknownShapes = true  // a data layer without its database shows '?'
        var nets: [Net] = []
        var names: [String] = []
        for file in files {
            let definition = try NetDefinition.load(path: file)
            nets.append(try NetBuilder.build(definition, options: options))
            names.append(definition.param.name)
        }
        let labels = NetComparison.labels(netNames: names, files: files)
        var result = ReportNets()
        if nets.count >= 2 {
            let members = nets.indices.map { NetComparison.Member(label: labels[$0], file: files[$0], net: nets[$0]) }
            result.comparisonHTML = NetComparison(members: members).renderHTML()
        }
        for (i, net) in nets.enumerated() {
            let dot = NetDrawing(net: net).dot(direction: .topToBottom)
            do {
                let svg = String(decoding: try Graphviz.render(dot, as: .svg), as: UTF8.self)
                result.drawings.append(.init(label: "\(labels[i]) (\(files[i]))", svg: svg, dot: dot))
            } catch let error as SwiftCaffeError {
                result.drawings.append(.init(label: "\(labels[i]) (\(files[i]))", svg: nil, dot: dot,
                                             note: "Not drawn: \(error.message). \(error.hint ?? "") The DOT text follows."))
            }
        }
        return result
    }
}
