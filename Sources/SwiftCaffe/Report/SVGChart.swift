import Foundation

/// A small SVG line-chart renderer: panels with axes, nice ticks, grid lines and one
/// polyline per series, and a legend of the series' colours. The output is plain SVG
/// 1.1 (no scripts, no fonts to fetch), so it opens in any browser and inlines into HTML.
///
/// Structure a reader (or a test) can rely on: every panel is a `<g class="panel">`
/// with `data-title`, every series one `<polyline class="series">` with `data-run`
/// (a series of one point is a `<circle class="series">`), every legend entry a
/// `<g class="legend-entry">`.
public enum SVGChart {
    public struct Series: Sendable {
        public var label: String
        public var colour: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, colour: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.colour = colour
            self.points = points
        }
    }

    public struct Panel: Sendable {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var logarithmic: Bool
        /// Drawn as steps (a value holds until the next point: the learning rate).
        public var stepped: Bool
        public var series: [Series]
        public init(title: String, xLabel: String, yLabel: String, logarithmic: Bool = false, stepped: Bool = false,
                    series: [Series]) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.logarithmic = logarithmic
            self.stepped = stepped
            self.series = series
        }
    }

    /// Colours that stay apart for the first ten runs (Tableau 10), then repeat.
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public static func colour(_ index: Int) -> String { palette[index % palette.count] }

    static let panelWidth = 560.0, panelHeight = 300.0
    static let left = 70.0, right = 18.0, top = 30.0, bottom = 46.0

    /// A whole SVG document: the legend (`legend`: label and colour per run) on top,
    /// then the panels in `columns` columns.
    public static func document(panels: [Panel], legend: [(label: String, colour: String)], columns: Int = 2) -> String {
        let columns = max(1, min(columns, panels.count))
        let legendRows = legendLayout(legend, width: panelWidth * Double(columns))
        let legendHeight = Double(legendRows.count) * 22 + 12
        let rows = (panels.count + columns - 1) / columns
        let width = panelWidth * Double(columns), height = legendHeight + panelHeight * Double(max(rows, 1))
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
            viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="#ffffff"/>

            """
        out += "<g class=\"legend\">\n"
        for (r, entries) in legendRows.enumerated() {
            for (entry, x) in entries {
                let y = 8 + Double(r) * 22
                out += "<g class=\"legend-entry\" data-run=\"\(chartText(entry.label))\">"
                out += "<rect x=\"\(f(x))\" y=\"\(f(y + 4))\" width=\"18\" height=\"4\" fill=\"\(entry.colour)\"/>"
                out += "<text x=\"\(f(x + 24))\" y=\"\(f(y + 10))\">\(chartText(entry.label))</text></g>\n"
            }
        }
        out += "</g>\n"
        for (i, panel) in panels.enumerated() {
            let x = Double(i % columns) * panelWidth, y = legendHeight + Double(i / columns) * panelHeight
            out += render(panel, x: x, y: y)
        }
        return out + "</svg>\n"
    }

    /// Legend entries placed left to right, wrapping at `width` (text ~7 px a character).
    private static func legendLayout(_ legend: [(label: String, colour: String)], width: Double)
        -> [[((label: String, colour: String), Double)]] {
        var rows: [[((label: String, colour: String), Double)]] = [[]]
        var x = left
        for entry in legend {
            let w = 24 + 7 * Double(entry.label.count) + 20
            if x + w > width, !rows[rows.count - 1].isEmpty {
                rows.append([])
                x = left
            }
            rows[rows.count - 1].append((entry, x))
            x += w
        }
        return rows
    }

    /// One panel as a `<g>` at (x, y).
    static func render(_ panel: Panel, x originX: Double, y originY: Double) -> String {
        let plotWidth = panelWidth - left - right, plotHeight = panelHeight - top - bottom
        let xs = panel.series.flatMap { $0.points.map(\.x) }
        let ys = panel.series.flatMap { $0.points.map(\.y) }
        let xScale = AxisScale.linear(xs, count: 6)
        let logScale = panel.logarithmic ? AxisScale.logarithmic(ys) : nil
        let logarithmic = logScale != nil
        let yScale = logScale ?? AxisScale.linear(ys, count: 5)
        func px(_ v: Double) -> Double { originX + left + xScale.fraction(v) * plotWidth }
        func py(_ v: Double) -> Double { originY + top + (1 - yScale.fraction(v)) * plotHeight }
        let plotLeft = originX + left, plotTop = originY + top, plotBottom = originY + top + plotHeight

        var out = "<g class=\"panel\" data-title=\"\(chartText(panel.title))\">\n"
        out += "<text x=\"\(f(originX + panelWidth / 2))\" y=\"\(f(originY + 18))\" text-anchor=\"middle\" "
            + "font-size=\"14\" font-weight=\"bold\">\(chartText(panel.title))</text>\n"
        out += "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">"
        for t in yScale.ticks { out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(t)))\" x2=\"\(f(plotLeft + plotWidth))\" y2=\"\(f(py(t)))\"/>" }
        for t in xScale.ticks { out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(plotTop))\" x2=\"\(f(px(t)))\" y2=\"\(f(plotBottom))\"/>" }
        out += "</g>\n<g class=\"ticks\" fill=\"#333333\">"
        for t in yScale.ticks {
            out += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(chartText(yScale.label(t)))</text>"
        }
        for t in xScale.ticks {
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(plotBottom + 16))\" text-anchor=\"middle\">\(chartText(xScale.label(t)))</text>"
        }
        out += "</g>\n"
        out += "<rect class=\"frame\" x=\"\(f(plotLeft))\" y=\"\(f(plotTop))\" width=\"\(f(plotWidth))\" "
            + "height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#555555\"/>\n"
        out += "<text x=\"\(f(plotLeft + plotWidth / 2))\" y=\"\(f(plotBottom + 36))\" text-anchor=\"middle\">"
            + "\(chartText(panel.xLabel))</text>\n"
        let labelY = plotTop + plotHeight / 2, labelX = originX + 16
        out += "<text x=\"\(f(labelX))\" y=\"\(f(labelY))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(f(labelX)) \(f(labelY)))\">\(chartText(panel.yLabel + (logarithmic ? " (log)" : "")))</text>\n"
        for series in panel.series {
            let visible = series.points.filter { $0.x.isFinite && $0.y.isFinite && (!logarithmic || $0.y > 0) }
            guard !visible.isEmpty else { continue }
            let run = chartText(series.label)
            if visible.count == 1 {
                out += "<circle class=\"series\" data-run=\"\(run)\" cx=\"\(f(px(visible[0].x)))\" "
                    + "cy=\"\(f(py(visible[0].y)))\" r=\"3\" fill=\"\(series.colour)\"/>\n"
                continue
            }
            var corners: [(x: Double, y: Double)] = []
            for (k, point) in visible.enumerated() {
                if panel.stepped, k > 0 { corners.append((point.x, visible[k - 1].y)) }
                corners.append(point)
            }
            let points = corners.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-run=\"\(run)\" fill=\"none\" stroke=\"\(series.colour)\" "
                + "stroke-width=\"1.8\" stroke-linejoin=\"round\" points=\"\(points)\"/>\n"
        }
        return out + "</g>\n"
    }

    /// Coordinates with at most two decimals.
    static func f(_ v: Double) -> String {
        let rounded = (v * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }
}

/// Escaped chart text (labels, titles, tick values).
private func chartText(_ text: String) -> String { MarkupText.escape(text) }
