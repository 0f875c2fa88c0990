@testable import SwiftCaffe
import XCTest

/// The one HTML/SVG escape (the report, the charts and the nets' comparison table use it).
final class MarkupTextTests: XCTestCase {
    func testEscapesTheFiveSpecialCharacters() {
        XCTAssertEqual(MarkupText.escape(#"a & b < c > d "e" 'f'"#),
                       "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;")
        // An ampersand that already starts a reference is escaped again: the input is text, not markup.
        XCTAssertEqual(MarkupText.escape("&amp;"), "&amp;amp;")
    }

    func testTextWithoutSpecialCharactersIsUnchanged() {
        for text in ["", "conv1 32x1x5x5", "α β · × — ünïcödé", "naïve\u{301}"] {
            XCTAssertEqual(MarkupText.escape(text), text)
        }
    }

    /// A quote followed by a combining mark is one Character: escaping per Character
    /// would leave the quote as it is and end the attribute.
    func testQuoteFollowedByACombiningMarkIsEscaped() {
        XCTAssertEqual(MarkupText.escape("x=\"\u{301}"), "x=&quot;\u{301}")
        XCTAssertEqual(MarkupText.escape("<\u{338}"), "&lt;\u{338}")
    }

    /// A chart's series label, in an attribute (`data-run`) and in the legend's text.
    func testChartLabelsAreEscaped() {
        let svg = SVGChart.document(panels: [SVGChart.Panel(title: "loss", xLabel: "iteration", yLabel: "loss",
            series: [SVGChart.Series(label: "it's <a&b>", colour: "#000", points: [(0, 1), (1, 0.5)])])],
            legend: [("it's <a&b>", "#000")])
        XCTAssertTrue(svg.contains("data-run=\"it&#39;s &lt;a&amp;b&gt;\""), svg)
        XCTAssertTrue(svg.contains(">it&#39;s &lt;a&amp;b&gt;</text>"), svg)
        XCTAssertFalse(svg.contains("it's"))
    }
}
