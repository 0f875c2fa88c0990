import Foundation

extension TrainingLog {
    /// The train table as Caffe's parse_log.py writes it: `NumIters,Seconds,LearningRate`
    /// and one column per train net output, one row per display. Empty cells where a
    /// value is unknown (a log without timestamps, such as a copy of standard output;
    /// no rate logged yet).
    public func trainCSV() -> String { Self.csv(train) }

    /// The test table of test net `net` (parse_log.py's `.test` file for net 0).
    public func testCSV(net: Int = 0) -> String { Self.csv(net < test.count ? test[net] : Table()) }

    static func csv(_ table: Table) -> String {
        var lines = [(["NumIters", "Seconds", "LearningRate"] + table.names.map(csvField)).joined(separator: ",")]
        for row in table.rows {
            var cells = [String(row.iteration), row.seconds.map { String(format: "%.6f", $0) } ?? "",
                         row.learningRate.map(csvNumber) ?? ""]
            for c in table.names.indices {
                cells.append(c < row.values.count ? row.values[c].map(csvNumber) ?? "" : "")
            }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Numbers as the log printed them (%g keeps the 6 significant digits Caffe writes).
    static func csvNumber(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%.6g", value)
    }

    /// A field quoted when it holds a comma or a quote (RFC 4180).
    static func csvField(_ text: String) -> String {
        guard text.contains(",") || text.contains("\"") else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
