import XCTest

/// Reads back the DOT text `NetDrawing.dot` writes (one statement per line), so the
/// tests check the graph's structure rather than its spelling.
struct ParsedDOT {
    struct Edge: Equatable {
        var from: String
        var to: String
        var attributes: [String: String]
        var label: String { attributes["label"] ?? "" }
    }

    var graphName = ""
    /// Node id → attributes (labels unescaped).
    var nodes: [String: [String: String]] = [:]
    var nodeOrder: [String] = []
    var edges: [Edge] = []
    /// The `graph [...]` attributes.
    var graph: [String: String] = [:]

    init(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let lines = text.split(separator: "\n").map(String.init)
        guard let first = lines.first, first.hasPrefix("digraph "), first.hasSuffix(" {"), lines.last == "}" else {
            XCTFail("not a digraph: \(text.prefix(200))", file: file, line: line)
            return
        }
        var head = Substring(first.dropFirst("digraph ".count).dropLast(2))
        graphName = try Self.value(&head)
        for statement in lines.dropFirst().dropLast() {
            var rest = Substring(statement.trimmingCharacters(in: .whitespaces))
            guard rest.hasSuffix("];"), let open = rest.firstIndex(of: "[") else {
                XCTFail("unexpected statement: \(statement)", file: file, line: line)
                continue
            }
            var attributeText = rest[rest.index(after: open)..<rest.index(rest.endIndex, offsetBy: -2)]
            let attributes = try Self.attributes(&attributeText)
            rest = rest[..<open]
            let words = rest.split(separator: " ")
            if words.count == 3, words[1] == "->" {
                edges.append(Edge(from: String(words[0]), to: String(words[2]), attributes: attributes))
            } else if words.count == 1, ["graph", "node", "edge"].contains(words[0]) {
                if words[0] == "graph" { graph = attributes }
            } else if words.count == 1 {
                XCTAssertNil(nodes[String(words[0])], "node \(words[0]) declared twice", file: file, line: line)
                nodes[String(words[0])] = attributes
                nodeOrder.append(String(words[0]))
            } else {
                XCTFail("unexpected statement: \(statement)", file: file, line: line)
            }
        }
    }

    /// The id of the node whose label's first line is `name`.
    func node(named name: String) -> String? {
        nodeOrder.first { labelLines(of: $0).first == name }
    }

    func labelLines(of node: String) -> [String] {
        (nodes[node]?["label"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func edges(into node: String) -> [Edge] { edges.filter { $0.to == node } }

    struct SyntaxError: Error, CustomStringConvertible { var description: String }

    /// `key=value, key="quoted \"value\"", …`
    static func attributes(_ text: inout Substring) throws -> [String: String] {
        var result: [String: String] = [:]
        while true {
            text = text.drop { $0 == " " || $0 == "," }
            if text.isEmpty { return result }
            guard let equals = text.firstIndex(of: "=") else { throw SyntaxError(description: "no '=' in \(text)") }
            let key = String(text[..<equals])
            text = text[text.index(after: equals)...]
            result[key] = try value(&text)
        }
    }

    /// A quoted string (escapes undone) or a bare word.
    static func value(_ text: inout Substring) throws -> String {
        guard text.first == "\"" else {
            let word = text.prefix { $0 != "," && $0 != " " }
            text = text.dropFirst(word.count)
            return String(word)
        }
        var out = ""
        var i = text.index(after: text.startIndex)
        while i < text.endIndex {
            let ch = text[i]
            if ch == "\"" {
                text = text[text.index(after: i)...]
                return out
            }
            if ch == "\\" {
                i = text.index(after: i)
                guard i < text.endIndex else { break }
                switch text[i] {
                case "n": out.append("\n")
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                default: throw SyntaxError(description: "unexpected escape \\\(text[i])")
                }
            } else {
                out.append(ch)
            }
            i = text.index(after: i)
        }
        throw SyntaxError(description: "unterminated string")
    }
}
