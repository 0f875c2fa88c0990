import Foundation

/// The curves of one or more training runs: a panel for the displayed training loss,
/// one per test output (and per extra train output), and one for the learning rate;
/// every run in its own colour, the same in every panel.
public struct TrainingPlot: Sendable {
    public enum XAxis: String, Sendable, CaseIterable {
        case iterations, seconds
    }

    public struct Run: Sendable {
        public var label: String
        public var log: TrainingLog
        public init(label: String, log: TrainingLog) {
            self.label = label
            self.log = log
        }
    }

    public var runs: [Run]
    public var xAxis: XAxis
    /// Loss panels (titles containing "loss") on a log-10 axis.
    public var logarithmicLoss: Bool

    public init(runs: [Run], xAxis: XAxis = .iterations, logarithmicLoss: Bool = false) throws {
        self.runs = runs
        self.xAxis = xAxis
        self.logarithmicLoss = logarithmicLoss
        if xAxis == .seconds, let run = runs.first(where: { !$0.log.hasSeconds }) {
            throw SwiftCaffeError(.usage, "'\(run.log.source)' has no timestamps, so it cannot be plotted against seconds",
                                  hint: "its lines carry no time (swiftcaffe train's standard output has none; the file of "
                                  + "'swiftcaffe train --log FILE' and Caffe's glog lines have them); plot it with --x iterations")
        }
    }

    /// Labels for logs given by path: the file names without extension, with the parent
    /// folder added where two are the same.
    public static func labels(paths: [String]) -> [String] {
        let stems = paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        return paths.indices.map { i in
            guard stems.filter({ $0 == stems[i] }).count > 1 else { return stems[i] }
            let parent = URL(fileURLWithPath: paths[i]).deletingLastPathComponent().lastPathComponent
            let label = parent.isEmpty ? stems[i] : "\(parent)/\(stems[i])"
            return paths[..<i].contains(paths[i]) ? "\(label) (\(i + 1))" : label
        }
    }

    public var legend: [(label: String, colour: String)] {
        runs.indices.map { (runs[$0].label, SVGChart.colour($0)) }
    }

    /// The panels in order: train loss, test outputs (net 0's first), extra train
    /// outputs, learning rate. Panels no run has data for are left out.
    public var panels: [SVGChart.Panel] {
        let xLabel = xAxis == .iterations ? "iteration" : "seconds"
        func x(_ row: TrainingLog.Row) -> Double? { xAxis == .iterations ? Double(row.iteration) : row.seconds }
        func series(_ pick: (TrainingLog) -> [(x: Double, y: Double)]) -> [SVGChart.Series] {
            runs.indices.map { SVGChart.Series(label: runs[$0].label, colour: SVGChart.colour($0), points: pick(runs[$0].log)) }
        }
        func panel(_ title: String, _ yLabel: String, _ pick: (TrainingLog) -> [(x: Double, y: Double)]) -> SVGChart.Panel {
            SVGChart.Panel(title: title, xLabel: xLabel, yLabel: yLabel,
                           logarithmic: logarithmicLoss && title.contains("loss"), series: series(pick))
        }
        var panels = [panel("train loss", "loss", { $0.displayLoss.points(0, x: x) })]
        let testNets = runs.map(\.log.test.count).max() ?? 0
        for k in 0..<testNets {
            var names: [String] = []
            for run in runs where k < run.log.test.count {
                for name in run.log.test[k].names where !names.contains(name) { names.append(name) }
            }
            for name in names {
                let title = testNets > 1 ? "test net #\(k) \(name)" : "test \(name)"
                panels.append(panel(title, name, { log in
                    guard k < log.test.count, let c = log.test[k].column(name) else { return [] }
                    return log.test[k].points(c, x: x)
                }))
            }
        }
        // A net's only loss output is the loss the display line already shows; any other
        // train output (accuracy_train, or several losses) gets a panel of its own.
        var extra: [String] = []
        for run in runs {
            let names = run.log.train.names
            let losses = names.filter { $0.contains("loss") }
            for name in names where !(losses.count == 1 && name == losses[0]) && !extra.contains(name) {
                extra.append(name)
            }
        }
        for name in extra {
            panels.append(panel("train \(name)", name, { log in log.train.column(name).map { log.train.points($0, x: x) } ?? [] }))
        }
        var rate = panel("learning rate", "lr", { log in
            log.displayLoss.rows.compactMap { row in row.learningRate.flatMap { rate in x(row).map { ($0, rate) } } }
        })
        rate.stepped = true
        panels.append(rate)
        return panels.filter { $0.series.contains { !$0.points.isEmpty } }
    }

    public func svg() -> String { SVGChart.document(panels: panels, legend: legend) }
}
