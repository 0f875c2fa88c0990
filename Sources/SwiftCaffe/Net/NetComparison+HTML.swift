import Foundation

extension NetComparison {
    /// The comparison as an HTML fragment (for `swiftcaffe report`): the nets, the
    /// table with one column per net and field (as the Markdown table), the lines that
    /// differ marked `class="differs"` with their differences in the last column, and
    /// the totals in words.
    public func renderHTML() -> String {
        let table = makeTable(markdown: true)
        let h = MarkupText.escape
        var out = "<div class=\"comparison\">\n<ul>\n"
        for member in members {
            out += "<li><b>\(h(member.label))</b> <code>\(h(member.file))</code> "
                + "(batch \(member.summary.batchSize))</li>\n"
        }
        out += "</ul>\n<table class=\"compare\">\n<thead><tr>"
        for (c, column) in table.columns.enumerated() {
            out += "<th\(column.rightAligned ? " class=\"num\"" : "")>\(h(c == 0 ? "" : column.title))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for (r, row) in table.rows.enumerated() {
            let isTotal = r == table.rows.count - 1
            let differs = r < rows.count && !rows[r].differences.isEmpty
            out += "<tr\(isTotal ? " class=\"total\"" : differs ? " class=\"differs\"" : "")>"
            for (c, cell) in row.enumerated() {
                // The Markdown table bolds the totals with **…**; HTML bolds the row instead.
                var text = cell
                if isTotal, text.hasPrefix("**"), text.hasSuffix("**"), text.count >= 4 { text = String(text.dropFirst(2).dropLast(2)) }
                out += "<td\(table.columns[c].rightAligned ? " class=\"num\"" : "")>\(h(text))</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody>\n</table>\n<ul class=\"totals\">\n"
        for line in footer() { out += "<li><b>\(h(line.title))</b>: \(h(line.text))</li>\n" }
        for note in notes { out += "<li>Note: \(h(note))</li>\n" }
        return out + "</ul>\n</div>\n"
    }
}
