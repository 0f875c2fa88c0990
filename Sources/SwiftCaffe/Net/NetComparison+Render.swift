import Foundation

extension NetComparison {
    /// The side-by-side table as aligned plain text: one column group per net, a `*`
    /// before every line that differs and its differences on the lines below it,
    /// totals at the bottom.
    public func render() -> String {
        let table = makeTable(markdown: false)
        let tableLines = table.plainLines()
        var lines = header(markdown: false)
        lines.append("")
        lines += tableLines.prefix(2)
        for r in rows.indices {
            lines.append(tableLines[2 + r])
            for difference in rows[r].differences { lines.append("      - \(difference.message)") }
        }
        lines.append(String(repeating: "-", count: tableLines.map(\.count).max() ?? 0))
        lines.append(tableLines[2 + rows.count])
        lines.append("")
        let footer = self.footer()
        let width = footer.map(\.title.count).max() ?? 0
        lines += footer.map { "\($0.title):" + String(repeating: " ", count: width - $0.title.count + 1) + $0.text }
        lines += notes.map { "Note: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// The same as a Markdown table, with the differences in the last column.
    public func renderMarkdown() -> String {
        var lines = header(markdown: true)
        lines.append("")
        lines += makeTable(markdown: true).markdownLines()
        lines.append("")
        lines += footer().map { "- \($0.title): \($0.text)" }
        lines += notes.map { "- Note: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// What the nets assumed while shaping (a data layer without its database), per net.
    var notes: [String] { members.flatMap { member in member.summary.notes.map { "\(member.label): \($0)" } } }

    private var timed: Bool { members.contains { $0.timing != nil } }
    private var columnsPerMember: Int { timed ? 8 : 6 }

    func header(markdown: Bool) -> [String] {
        let phases = Set(members.map(\.summary.phaseName))
        var lines = ["Comparing \(members.count) nets" + (phases.count == 1 ? ", phase \(phases.first!)" : "") + ":"]
        let width = members.map(\.label.count).max() ?? 0
        for member in members {
            let details = (phases.count == 1 ? [] : ["phase \(member.summary.phaseName)"])
                + ["batch \(member.summary.batchSize)"]
                + (member.timing.map { ["timed over \($0.iterations) iterations"] } ?? [])
            let about = "(\(details.joined(separator: ", ")))"
            lines.append(markdown ? "- **\(TextTable.markdownEscaped(member.label))**: `\(member.file)` \(about)"
                         : "  \(member.label.padding(toLength: width, withPad: " ", startingAt: 0))  \(member.file) \(about)")
        }
        return lines
    }

    /// Rows of the table (one per line of the alignment), then the totals row. Markdown
    /// has no column groups, so there every per-net title names its net, and the
    /// differences get a last column instead of lines of their own.
    func makeTable(markdown: Bool) -> TextTable {
        var columns = [TextTable.Column(""), TextTable.Column("layer")]
        for member in members {
            var titles = [("#", true), ("type", false), ("top shapes", false), ("params", true),
                          ("mult-adds", true), ("memory", true)]
            if timed { titles += [("fwd ms", true), ("bwd ms", true)] }
            columns += titles.map { TextTable.Column(markdown ? "\(member.label) \($0.0)" : $0.0, rightAligned: $0.1) }
        }
        if markdown { columns.append(TextTable.Column("differences")) }
        var table = TextTable(columns: columns, groupSizes: [2] + members.map { _ in columnsPerMember } + (markdown ? [1] : []),
                              groupTitles: [""] + members.map(\.label))
        for r in rows.indices {
            var cells = [rows[r].differences.isEmpty ? "" : "*", name(ofRow: r)]
            for m in members.indices {
                guard let i = rows[r].entries[m] else {
                    cells += Array(repeating: "", count: columnsPerMember)
                    continue
                }
                let row = members[m].summary.rows[i]
                cells += [String(i + 1), row.type, row.topShapes.map(Blob.describe).joined(separator: ", "),
                          NetSummary.grouped(row.parameters), NetSummary.grouped(row.multiplyAddsPerImage),
                          row.inPlace ? "in place" : NetSummary.bytes(row.activationBytes)]
                if timed {
                    let timing = members[m].timing
                    cells += [timing.map { Self.milliseconds($0.forwardMilliseconds[i]) } ?? "",
                              timing.map { Self.milliseconds($0.backwardMilliseconds[i]) } ?? ""]
                }
            }
            if markdown { cells.append(rows[r].differences.map(\.message).joined(separator: "; ")) }
            table.append(cells)
        }
        var totalCells = ["", "total"]
        for m in members.indices {
            let totals = self.totals(ofMember: m)
            let count = members[m].summary.rows.count
            totalCells += ["", "\(count) layer\(count == 1 ? "" : "s")", "", NetSummary.grouped(totals.parameters),
                           NetSummary.grouped(totals.multiplyAddsPerImage), NetSummary.bytes(totals.activationBytes)]
            if timed {
                totalCells += [totals.forwardMilliseconds.map(Self.milliseconds) ?? "",
                               totals.backwardMilliseconds.map(Self.milliseconds) ?? ""]
            }
        }
        table.append(markdown ? totalCells.map { $0.isEmpty ? "" : "**\($0)**" } : totalCells)
        return table
    }

    /// The totals compared in words: equal, or each net's value and its change from the first.
    func footer() -> [(title: String, text: String)] {
        let all = members.count == 2 ? "both" : "all \(members.count)"
        func compare(_ values: [Double], _ format: (Double) -> String) -> String {
            if Set(values).count == 1 { return "\(format(values[0])) in \(all) (equal)" }
            return members.indices.map { m -> String in
                var text = "\(format(values[m])) in \(members[m].label)"
                if m > 0, values[0] != 0 {
                    text += String(format: " (%+.1f%%)", (values[m] - values[0]) / values[0] * 100)
                }
                return text
            }.joined(separator: ", ")
        }
        let totals = members.indices.map(totals(ofMember:))
        var lines: [(title: String, text: String)] = [
            ("Parameters", compare(totals.map { Double($0.parameters) }, { NetSummary.grouped(Int($0)) })),
            ("Multiply-adds per image", compare(totals.map { Double($0.multiplyAddsPerImage) }, { NetSummary.grouped(Int($0)) })),
            ("Activations per batch", compare(totals.map { Double($0.activationBytes) }, { NetSummary.bytes(Int($0)) })),
        ]
        if timed {
            let total = totals.map { ($0.forwardMilliseconds ?? 0) + ($0.backwardMilliseconds ?? 0) }
            lines.append(("Forward+backward per batch", compare(total, { Self.milliseconds($0) + " ms" })))
        }
        let differing = differingRows
        let names = differing.prefix(8).map { name(ofRow: $0) } + (differing.count > 8 ? ["…"] : [])
        lines.append(("Differences", differing.isEmpty ? "none: the nets have the same layers"
                      : "\(differing.count) of \(rows.count) lines (\(names.joined(separator: ", ")))"))
        return lines
    }

    static func milliseconds(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.3f", value)
    }
}
