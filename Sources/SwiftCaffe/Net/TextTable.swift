/// Plain-text and Markdown tables: columns padded to their widest cell, numbers
/// right-aligned, optional groups of columns under a shared heading.
public struct TextTable {
    public struct Column {
        public var title: String
        public var rightAligned: Bool
        public init(_ title: String, rightAligned: Bool = false) {
            self.title = title
            self.rightAligned = rightAligned
        }
    }

    public var columns: [Column]
    /// Columns are split into groups (sizes add up to `columns.count`), separated by
    /// " | " and headed by `groupTitles` in plain text; one group by default.
    public var groupSizes: [Int]
    public var groupTitles: [String]
    public private(set) var rows: [[String]] = []

    public init(columns: [Column], groupSizes: [Int]? = nil, groupTitles: [String] = []) {
        self.columns = columns
        self.groupSizes = groupSizes ?? [columns.count]
        self.groupTitles = groupTitles
    }

    public mutating func append(_ cells: [String]) {
        rows.append(cells + Array(repeating: "", count: max(0, columns.count - cells.count)))
    }

    public var widths: [Int] {
        columns.indices.map { c in max(columns[c].title.count, rows.map { $0[c].count }.max() ?? 0) }
    }

    /// The table's lines: group headings (when titled), column titles, rows.
    public func plainLines() -> [String] {
        let widths = self.widths
        var lines: [String] = []
        if !groupTitles.isEmpty {
            var cells: [String] = []
            var start = 0
            for (g, size) in groupSizes.enumerated() {
                let width = widths[start..<(start + size)].reduce(0, +) + 2 * max(0, size - 1)
                cells.append(Self.pad(g < groupTitles.count ? groupTitles[g] : "", to: width, right: false))
                start += size
            }
            lines.append(cells.joined(separator: " | ").trimmingTrailingSpaces())
        }
        lines.append(plainLine(columns.map(\.title), widths: widths, alignTitles: true))
        for row in rows { lines.append(plainLine(row, widths: widths, alignTitles: false)) }
        return lines
    }

    /// One row laid out like the table's rows (for lines added between them).
    public func plainLine(_ cells: [String]) -> String { plainLine(cells, widths: widths, alignTitles: false) }

    private func plainLine(_ cells: [String], widths: [Int], alignTitles: Bool) -> String {
        var groups: [String] = []
        var start = 0
        for size in groupSizes {
            let part = (start..<(start + size)).map { c in
                Self.pad(c < cells.count ? cells[c] : "", to: widths[c], right: columns[c].rightAligned)
            }
            groups.append(part.joined(separator: "  "))
            start += size
        }
        return groups.joined(separator: " | ").trimmingTrailingSpaces()
    }

    /// A Markdown (GitHub) table; `|` inside cells is escaped.
    public func markdownLines() -> [String] {
        func line(_ cells: [String]) -> String { "| " + cells.map(Self.markdownEscaped).joined(separator: " | ") + " |" }
        var lines = [line(columns.map(\.title))]
        lines.append("|" + columns.map { $0.rightAligned ? " ---: |" : " --- |" }.joined())
        for row in rows { lines.append(line(row)) }
        return lines
    }

    public static func markdownEscaped(_ text: String) -> String {
        text.replacingAll("|", with: "\\|").replacingAll("\n", with: " ")
    }

    static func pad(_ text: String, to width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}

extension String {
    /// `replacingOccurrences(of:with:)` without Foundation.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
