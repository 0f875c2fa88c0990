import Foundation
import XCTest
@testable import SwiftCaffe

/// The HTML report's net drawings.
final class HTMLReportTests: XCTestCase {
    func report(_ drawings: [HTMLReport.Drawing]) throws -> String {
        let log = try TrainingLog.parse("Iteration 0, loss = 1\nIteration 10, loss = 0.5\n", source: "run.log")
        let plot = try TrainingPlot(runs: [.init(label: "run", log: log)])
        return HTMLReport(title: "t", plot: plot, drawings: drawings).render()
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// A net given twice (here a and c: the same DOT text) is drawn once; the repeat
    /// links to the first drawing.
    func testARepeatedDrawingIsEmittedOnce() throws {
        let svgA = "<?xml version=\"1.0\"?>\n<svg id=\"a\"><g class=\"node\">A</g></svg>"
        let svgB = "<svg id=\"b\"><g class=\"node\">B</g></svg>"
        let html = try report([HTMLReport.Drawing(label: "a (a.prototxt)", svg: svgA, dot: "digraph a {}"),
                               HTMLReport.Drawing(label: "b (b.prototxt)", svg: svgB, dot: "digraph b {}"),
                               HTMLReport.Drawing(label: "c (copy-of-a.prototxt)", svg: svgA, dot: "digraph a {}")])
        XCTAssertEqual(count("<svg id=\"a\">", in: html), 1, "a's drawing once")
        XCTAssertEqual(count("<svg id=\"b\">", in: html), 1)
        XCTAssertEqual(count("<div class=\"drawing\">", in: html), 2)
        XCTAssertFalse(html.contains("<?xml"), "inline SVG without its XML declaration")
        // Every net keeps its heading; the repeat says where its drawing is.
        XCTAssertTrue(html.contains("<h3 id=\"drawing-1\">a (a.prototxt)</h3>"), html)
        XCTAssertTrue(html.contains("<h3 id=\"drawing-3\">c (copy-of-a.prototxt)</h3>\n"
                                    + "<p class=\"meta\">The same drawing as <a href=\"#drawing-1\">a (a.prototxt)</a>.</p>"), html)
        // Nets that differ are all drawn, in order.
        let a = try XCTUnwrap(html.range(of: "<svg id=\"a\">")), b = try XCTUnwrap(html.range(of: "<svg id=\"b\">"))
        XCTAssertLessThan(a.lowerBound, b.lowerBound)
    }

    /// Without Graphviz the DOT text stands in for the SVG, also once per net.
    func testRepeatedDOTTextIsEmittedOnce() throws {
        let html = try report([HTMLReport.Drawing(label: "x", svg: nil, dot: "digraph x { a -> b }", note: "Not drawn."),
                               HTMLReport.Drawing(label: "y", svg: nil, dot: "digraph x { a -> b }", note: "Not drawn.")])
        XCTAssertEqual(count("<pre class=\"dot\">digraph x { a -&gt; b }</pre>", in: html), 1, html)
        XCTAssertEqual(count("Not drawn.", in: html), 1)
        XCTAssertTrue(html.contains("The same drawing as <a href=\"#drawing-1\">x</a>."))
    }
}
