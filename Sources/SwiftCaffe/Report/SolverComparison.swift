import Foundation

/// Training runs of several solver configurations side by side (`compare --solver`):
/// the loss and the test outputs of every run at the same iterations, then each run's
/// wall time, training speed and peak memory.
public struct SolverComparison: Sendable {
    public struct Run: Sendable {
        public var label: String
        public var solverFile: String
        public var log: TrainingLog
        /// Seconds from starting the training process to its exit (set-up and tests included).
        public var processSeconds: Double
        /// The training process's peak resident set (wait4's ru_maxrss), in KiB.
        public var peakResidentKiB: Int?
        public init(label: String, solverFile: String, log: TrainingLog, processSeconds: Double, peakResidentKiB: Int?) {
            self.label = label
            self.solverFile = solverFile
            self.log = log
            self.processSeconds = processSeconds
            self.peakResidentKiB = peakResidentKiB
        }
    }

    public var runs: [Run]

    public init(runs: [Run]) { self.runs = runs }

    /// Test net 0's output names over all runs, in first-seen order.
    public var testOutputs: [String] {
        var names: [String] = []
        for run in runs { for name in run.log.test.first?.names ?? [] where !names.contains(name) { names.append(name) } }
        return names
    }

    /// The iterations of the side-by-side table: every test pass when the runs test,
    /// else every display.
    public var iterations: [Int] {
        let tested = Set(runs.flatMap { $0.log.test.first?.rows.map(\.iteration) ?? [] })
        let shown = tested.isEmpty ? Set(runs.flatMap { $0.log.displayLoss.rows.map(\.iteration) }) : tested
        return shown.sorted()
    }

    /// Loss and test outputs per iteration, one column group per run. `maxRows` keeps
    /// evenly spaced rows and always the last (the full table goes to the Markdown file).
    public func progressTable(maxRows: Int? = nil) -> (table: TextTable, omitted: Int) {
        let names = testOutputs
        var columns = [TextTable.Column("iteration", rightAligned: true)]
        for _ in runs {
            columns.append(TextTable.Column("train loss", rightAligned: true))
            columns += names.map { TextTable.Column("test \($0)", rightAligned: true) }
        }
        var table = TextTable(columns: columns, groupSizes: [1] + runs.map { _ in 1 + names.count },
                              groupTitles: [""] + runs.map(\.label))
        var chosen = iterations
        var omitted = 0
        if let maxRows, chosen.count > maxRows, maxRows >= 2 {
            let keep = (0..<maxRows).map { $0 * (chosen.count - 1) / (maxRows - 1) }
            omitted = chosen.count - Set(keep).count
            chosen = Set(keep).sorted().map { chosen[$0] }
        }
        for iteration in chosen {
            var cells = [String(iteration)]
            for run in runs {
                let loss = run.log.displayLoss.rows.last { $0.iteration == iteration }?.values.first ?? nil
                cells.append(loss.map(HTMLReport.number) ?? "")
                let row = run.log.test.first?.rows.last { $0.iteration == iteration }
                for name in names {
                    let c = run.log.test.first?.column(name)
                    let value = c.flatMap { c in row.flatMap { c < $0.values.count ? $0.values[c] : nil } }
                    cells.append(value.map(HTMLReport.number) ?? "")
                }
            }
            table.append(cells)
        }
        return (table, omitted)
    }

    /// Per run: the solver, iterations trained, process wall time, training time and
    /// images/s (from the run's last log line) and peak resident memory.
    public func costTable() -> TextTable {
        var table = TextTable(columns: [TextTable.Column("run"), TextTable.Column("solver"),
                                        TextTable.Column("iterations", rightAligned: true),
                                        TextTable.Column("wall time", rightAligned: true),
                                        TextTable.Column("training", rightAligned: true),
                                        TextTable.Column("images/s", rightAligned: true),
                                        TextTable.Column("peak RSS", rightAligned: true)])
        for run in runs {
            table.append([run.label, run.solverFile, run.log.lastIteration.map(String.init) ?? "",
                          String(format: "%.1f s", run.processSeconds),
                          run.log.wallSeconds.map { String(format: "%.1f s", $0) } ?? "",
                          run.log.imagesPerSecond.map { String(format: "%.1f", $0) } ?? "",
                          run.peakResidentKiB.map { String(format: "%.1f MiB", Double($0) / 1024) } ?? ""])
        }
        return table
    }

    /// What the memory and time columns mean (printed under the cost table).
    public static let costNote = "wall time: the whole training process (set-up and test passes included); "
        + "training: the solver loop as the run's log reports it; peak RSS: the training process's own high-water "
        + "resident memory (wait4's ru_maxrss), each run measured in its own process"

    /// The whole comparison as Markdown.
    public func markdown(command: String) -> String {
        var lines = ["# Solver comparison", "", "Command: `\(command)`", ""]
        lines += ["## Loss and test outputs", ""]
        let progress = progressTable().table
        var header = "| iteration |"
        var rule = "| ---: |"
        for run in runs {
            header += " \(TextTable.markdownEscaped(run.label)) train loss |"
            rule += " ---: |"
            for name in testOutputs {
                header += " \(TextTable.markdownEscaped(run.label)) test \(TextTable.markdownEscaped(name)) |"
                rule += " ---: |"
            }
        }
        lines += [header, rule] + progress.rows.map { "| " + $0.joined(separator: " | ") + " |" }
        lines += ["", "## Cost", ""] + costTable().markdownLines() + ["", "- " + Self.costNote]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The side-by-side table as HTML (a section of the report).
    public func html() -> String {
        let (table, _) = progressTable()
        let h = MarkupText.escape
        var out = "<table class=\"solvers\">\n<thead><tr><th></th>"
        for run in runs { out += "<th colspan=\"\(1 + testOutputs.count)\">\(h(run.label))</th>" }
        out += "</tr><tr>" + table.columns.map { "<th class=\"num\">\(h($0.title))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in table.rows { out += "<tr>" + row.map { "<td class=\"num\">\(h($0))</td>" }.joined() + "</tr>\n" }
        out += "</tbody>\n</table>\n"
        let cost = costTable()
        out += "<table class=\"cost\">\n<thead><tr>" + cost.columns.map { "<th>\(h($0.title))</th>" }.joined()
            + "</tr></thead>\n<tbody>\n"
        for row in cost.rows { out += "<tr>" + row.map { "<td>\(h($0))</td>" }.joined() + "</tr>\n" }
        return out + "</tbody>\n</table>\n<p class=\"meta\">\(h(Self.costNote)).</p>\n"
    }
}
