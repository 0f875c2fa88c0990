import Foundation

/// One self-contained HTML page about some training runs and their nets: the curves
/// (inline SVG), a table of final and best values per run, the nets side by side and
/// their drawings. Nothing is fetched: no scripts, no fonts, no images from elsewhere,
/// so the file opens offline in any browser and can be mailed as it is.
public struct HTMLReport {
    /// A net drawing: Graphviz's SVG, or the DOT text when Graphviz is missing.
    public struct Drawing {
        public var label: String
        public var svg: String?
        public var dot: String
        public var note: String?
        public init(label: String, svg: String?, dot: String, note: String? = nil) {
            self.label = label
            self.svg = svg
            self.dot = dot
            self.note = note
        }
    }

    public var title: String
    public var plot: TrainingPlot
    /// `NetComparison.renderHTML()` of the nets, if any were given.
    public var comparisonHTML: String?
    public var drawings: [Drawing]
    /// Extra HTML sections (compare --solver's side-by-side table), placed after the summary.
    public var sections: [(title: String, html: String)]
    /// Seconds between rewrites while watching: the page reloads itself that often.
    public var refreshSeconds: Int?
    public var generated: Date

    public init(title: String, plot: TrainingPlot, comparisonHTML: String? = nil, drawings: [Drawing] = [],
                sections: [(title: String, html: String)] = [], refreshSeconds: Int? = nil, generated: Date = Date()) {
        self.title = title
        self.plot = plot
        self.comparisonHTML = comparisonHTML
        self.drawings = drawings
        self.sections = sections
        self.refreshSeconds = refreshSeconds
        self.generated = generated
    }

    static let style = """
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1400px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.num { white-space: nowrap; }
        tr.differs td { background: #fff4d6; } tr.total td { font-weight: bold; background: #f2f2f2; }
        .swatch { display: inline-block; width: 14px; height: 4px; vertical-align: middle; margin-right: 6px; }
        .drawing { overflow: auto; border: 1px solid #ddd; padding: 8px; margin-bottom: 16px; }
        pre { background: #f7f7f7; padding: 8px; overflow: auto; font-size: 12px; }
        .meta { color: #666; font-size: 12px; }
        """

    public func render() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        if let refreshSeconds { out += "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">\n" }
        out += "<title>\(h(title))</title>\n<style>\n\(Self.style)\n</style>\n</head>\n<body>\n"
        out += "<h1>\(h(title))</h1>\n"
        let stamp = ISO8601DateFormatter().string(from: generated)
        out += "<p class=\"meta\">Written by swiftcaffe at \(stamp)"
            + (refreshSeconds.map { "; rewritten every \($0) s while the runs go on" } ?? "") + ".</p>\n"
        out += "<h2>Curves</h2>\n<div class=\"curves\">\n\(plot.svg())</div>\n"
        out += "<h2>Runs</h2>\n\(summaryTable())"
        for section in sections { out += "<h2>\(h(section.title))</h2>\n\(section.html)" }
        if let comparisonHTML { out += "<h2>Nets side by side</h2>\n\(comparisonHTML)" }
        if !drawings.isEmpty { out += "<h2>Net drawings</h2>\n" + drawingsHTML() }
        return out + "</body>\n</html>\n"
    }

    /// Each distinct net drawn once: a drawing whose DOT text is one already drawn (the
    /// same net given twice, or two files that define the same net) links to the first
    /// instead of repeating its SVG, a few tens of KB per net.
    func drawingsHTML() -> String {
        var out = ""
        var first: [String: (anchor: String, label: String)] = [:]
        for (i, drawing) in drawings.enumerated() {
            let anchor = "drawing-\(i + 1)"
            out += "<h3 id=\"\(anchor)\">\(h(drawing.label))</h3>\n"
            if let earlier = first[drawing.dot] {
                out += "<p class=\"meta\">The same drawing as <a href=\"#\(earlier.anchor)\">\(h(earlier.label))</a>.</p>\n"
                continue
            }
            first[drawing.dot] = (anchor, drawing.label)
            if let note = drawing.note { out += "<p class=\"meta\">\(h(note))</p>\n" }
            if let svg = drawing.svg {
                out += "<div class=\"drawing\">\n\(Self.inlineSVG(svg))\n</div>\n"
            } else {
                out += "<pre class=\"dot\">\(h(drawing.dot))</pre>\n"
            }
        }
        return out
    }

    /// Per run: its source, format, last iteration, the final and best train loss and
    /// test outputs (best: highest for accuracy-like outputs, lowest for losses), wall
    /// time, images/s and peak memory when the log says them.
    func summaryTable() -> String {
        var names: [String] = []
        for run in plot.runs { for name in run.log.test.first?.names ?? [] where !names.contains(name) { names.append(name) } }
        var out = "<table class=\"runs\">\n<thead><tr><th>run</th><th>log</th><th class=\"num\">last iteration</th>"
            + "<th class=\"num\">train loss (final)</th><th class=\"num\">train loss (best)</th>"
        for name in names { out += "<th class=\"num\">test \(h(name)) (final)</th><th class=\"num\">test \(h(name)) (best)</th>" }
        out += "<th class=\"num\">wall time</th><th class=\"num\">images/s</th><th class=\"num\">peak memory</th></tr></thead>\n<tbody>\n"
        for (i, run) in plot.runs.enumerated() {
            let log = run.log
            out += "<tr><td><span class=\"swatch\" style=\"background:\(SVGChart.colour(i))\"></span>\(h(run.label))</td>"
            out += "<td><code>\(h(log.source))</code> (\(h(log.format.rawValue)))</td>"
            out += num(log.lastIteration.map(String.init))
            let losses = log.displayLoss.rows.compactMap { $0.values.first ?? nil }
            out += num(losses.last.map(Self.number)) + num(losses.filter(\.isFinite).min().map(Self.number))
            for name in names {
                let values = log.test.first.flatMap { t in t.column(name).map { c in t.rows.compactMap { c < $0.values.count ? $0.values[c] : nil } } } ?? []
                let finite = values.filter(\.isFinite)
                let best = Self.lowerIsBetter(name) ? finite.min() : finite.max()
                out += num(values.last.map(Self.number)) + num(best.map(Self.number))
            }
            out += num(log.wallSeconds.map { String(format: "%.1f s", $0) })
            out += num(log.imagesPerSecond.map { String(format: "%.1f", $0) })
            out += num(log.peakMegabytes.map { "\($0) MB" }) + "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// Loss-like outputs improve downwards; everything else (accuracy …) upwards.
    public static func lowerIsBetter(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.contains("loss") || lowered.contains("error")
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.6g", value) : (value.isNaN ? "nan" : value < 0 ? "-inf" : "inf")
    }

    private func num(_ text: String?) -> String { "<td class=\"num\">\(h(text ?? "–"))</td>" }

    private func h(_ text: String) -> String { MarkupText.escape(text) }

    /// Graphviz's SVG without its XML declaration and DOCTYPE (not allowed inside HTML).
    static func inlineSVG(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return MarkupText.escape(svg) }
        return String(svg[start.lowerBound...])
    }
}
