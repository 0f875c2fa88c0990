import Foundation
import XCTest
@testable import SwiftCaffe

/// docs/layers.md describes every registered layer type: a type added to
/// `LayerRegistry.builtInLayers` without its section in the catalogue fails here.
final class LayerCatalogueTests: XCTestCase {
    /// The Markdown headings of docs/layers.md.
    private func headings() throws -> [Substring] {
        let url = TestSupport.packageRoot.appendingPathComponent("docs/layers.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").filter { $0.hasPrefix("#") }
    }

    func testEveryRegisteredTypeHasASection() throws {
        let headings = try headings()
        let missing = LayerRegistry.builtInLayers.map(\.type).filter { type in
            !headings.contains { $0.contains("`\(type)`") }
        }
        XCTAssertEqual(missing, [], "docs/layers.md has no section (a heading with the type in backticks) for these "
                       + "registered layer types; add one, with its parameters, shapes and backward")
    }

    func testEverySectionIsARegisteredType() throws {
        // Headings that name a type in backticks must name a real one (no stale or misspelt sections).
        let registered = Set(LayerRegistry.builtInLayers.map(\.type))
        let named = try headings().filter { $0.hasPrefix("### ") }.compactMap { heading -> String? in
            guard let open = heading.firstIndex(of: "`") else { return nil }
            let rest = heading[heading.index(after: open)...]
            guard let close = rest.firstIndex(of: "`") else { return nil }
            return String(rest[..<close])
        }
        XCTAssertEqual(named.filter { !registered.contains($0) }, [])
        XCTAssertEqual(named.count, Set(named).count, "a type has two sections")
    }
}
