import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import SwiftCaffe

/// The SVG plots, checked structurally (panels, one polyline per run and panel, legend
/// entries, well-formed XML) and the nice-number axes.
final class TrainingPlotTests: XCTestCase {
    /// The fixture and a second run with other numbers.
    static func twoRuns() throws -> [TrainingPlot.Run] {
        let first = try TrainingLog.parse(CaffeLogFixture.text, source: "caffenet.log", year: 2026)
        let other = CaffeLogFixture.text.replacingOccurrences(of: "loss = 6.", with: "loss = 5.")
            .replacingOccurrences(of: "accuracy = 0.0125", with: "accuracy = 0.02")
        let second = try TrainingLog.parse(other, source: "alexnet.log", year: 2026)
        return [.init(label: "caffenet", log: first), .init(label: "alexnet <&>", log: second)]
    }

    func testPanelsSeriesAndLegend() throws {
        let plot = try TrainingPlot(runs: Self.twoRuns())
        XCTAssertEqual(plot.panels.map(\.title), ["train loss", "test accuracy", "test loss", "learning rate"])
        let svg = plot.svg()
        XCTAssertEqual(count("<g class=\"panel\"", in: svg), 4)
        XCTAssertEqual(count("<polyline class=\"series\"", in: svg), 8)
        XCTAssertEqual(count("<polyline class=\"series\" data-run=\"caffenet\"", in: svg), 4)
        XCTAssertEqual(count("<g class=\"legend-entry\"", in: svg), 2)
        XCTAssertTrue(svg.contains("alexnet &lt;&amp;&gt;"), "labels are escaped")
        // The train loss polyline has one point per display line.
        let line = try XCTUnwrap(svg.components(separatedBy: "\n").first { $0.contains("<polyline") })
        let points = try XCTUnwrap(line.components(separatedBy: "points=\"").last?.dropLast(3))
        XCTAssertEqual(points.split(separator: " ").count, 4)
        XCTAssertTrue(try isWellFormedXML(svg))
        XCTAssertEqual(SVGChart.colour(0), "#1f77b4")
        XCTAssertTrue(svg.contains("stroke=\"#ff7f0e\""), "the second run has the second colour")
    }

    /// Regression (the ablation nets): a train output before the loss gets its panel, and
    /// the one loss output is not drawn twice.
    func testTrainOutputsBesidesTheLossGetPanels() throws {
        let text = """
            Iteration 0, loss = 2.3
                Train net output #0: accuracy_train = 0.1
                Train net output #1: loss = 2.3 (* 1 = 2.3 loss)
            Iteration 10, loss = 1.5
                Train net output #0: accuracy_train = 0.4
                Train net output #1: loss = 1.5 (* 1 = 1.5 loss)
            """
        let log = try TrainingLog.parse(text, source: "ablation.log")
        let plot = try TrainingPlot(runs: [.init(label: "ablation", log: log)])
        XCTAssertEqual(plot.panels.map(\.title), ["train loss", "train accuracy_train"])
    }

    func testSecondsAxisAndLogScale() throws {
        let plot = try TrainingPlot(runs: Self.twoRuns(), xAxis: .seconds, logarithmicLoss: true)
        let svg = plot.svg()
        XCTAssertTrue(svg.contains(">seconds</text>"))
        XCTAssertTrue(svg.contains(">loss (log)</text>"))
        XCTAssertTrue(try isWellFormedXML(svg))
    }

    func testSecondsNeedTimestamps() throws {
        let log = try TrainingLog.parse("Iteration 0, loss = 1\nIteration 10, loss = 0.5\n", source: "plain.log")
        let error = TestSupport.error { _ = try TrainingPlot(runs: [.init(label: "plain", log: log)], xAxis: .seconds) }
        XCTAssertEqual(error?.message, "'plain.log' has no timestamps, so it cannot be plotted against seconds")
    }

    func testNiceTicks() {
        let scale = AxisScale.linear([0.13, 2.31])
        XCTAssertEqual(scale.ticks, [0, 0.5, 1, 1.5, 2, 2.5])
        XCTAssertEqual(scale.ticks.map(scale.label), ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"])
        XCTAssertEqual(AxisScale.linear([0, 5000], count: 6).ticks, [0, 1000, 2000, 3000, 4000, 5000])
        XCTAssertEqual(AxisScale.linear([3, 3]).ticks.first, 2.6)
        XCTAssertEqual(AxisScale.niceStep(0.0031), 0.005)
        XCTAssertEqual(AxisScale.niceStep(17), 20)
        let log = AxisScale.logarithmic([0.2, 3])!
        XCTAssertEqual(log.lower, 0.1)
        XCTAssertEqual(log.upper, 10)
        XCTAssertEqual(log.ticks.map(log.label), ["0.1", "0.2", "0.5", "1", "2", "5", "10"])
        let wide = AxisScale.logarithmic([0.05, 3])!  // three decades: powers of ten only
        XCTAssertEqual(wide.ticks.map(wide.label), ["0.01", "0.1", "1", "10"])
        XCTAssertNil(AxisScale.logarithmic([0, -1]))
    }

    func testLabelsFromPaths() {
        XCTAssertEqual(TrainingPlot.labels(paths: ["runs/a.log", "b.log"]), ["a", "b"])
        XCTAssertEqual(TrainingPlot.labels(paths: ["x/train.log", "y/train.log"]), ["x/train", "y/train"])
    }

    private func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    private func isWellFormedXML(_ text: String) throws -> Bool {
        XMLParser(data: Data(text.utf8)).parse()
    }
}
