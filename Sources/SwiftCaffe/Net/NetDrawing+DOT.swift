extension NetDrawing {
    /// The graph as Graphviz DOT text: one statement per line, every label quoted and
    /// escaped, so any layer or blob name (quotes, backslashes, newlines) is safe.
    public func dot(direction: Direction = .topToBottom) -> String {
        let font = Self.quoted("Helvetica,Arial,sans-serif")
        var lines = ["digraph \(Self.quoted(netName.isEmpty ? "net" : netName)) {"]
        lines.append("  graph [rankdir=\(direction.rawValue), label=\(Self.quoted(caption)), labelloc=b, "
                     + "fontname=\(font), fontsize=12, nodesep=0.3, ranksep=0.3];")
        lines.append("  node [shape=box, style=\"filled,rounded\", fontname=\(font), fontsize=11, "
                     + "color=\"#5f6368\", margin=\"0.12,0.05\"];")
        lines.append("  edge [fontname=\(font), fontsize=9, color=\"#5f6368\", fontcolor=\"#3c4043\"];")
        for node in nodes { lines.append("  \(node.id) [\(Self.attributes(of: node))];") }
        for edge in edges {
            var attributes = ["label=" + Self.quoted(edge.inPlace ? "in place" : edge.blob + "\n" + (edge.shapeKnown ? Self.shapeText(edge.shape) : "?"))]
            if edge.inPlace { attributes.append("style=dashed") }
            lines.append("  \(edge.from) -> \(edge.to) [\(attributes.joined(separator: ", "))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func attributes(of node: Node) -> String {
        if node.isOutput {
            return "label=\(quoted("output")), shape=plaintext, style=solid, fontsize=9, fontcolor=\"#5f6368\""
        }
        var attributes = ["label=" + quoted(([node.name, node.type] + node.details).joined(separator: "\n"))]
        var fill = fillColours[node.kind] ?? "#e8eaed"
        if node.groups > 1 {
            // Grouped convolutions (the paper's two GPUs) stand out: darker and double-edged.
            fill = "#8ab4f8"
            attributes.append("peripheries=2")
        }
        attributes.append("fillcolor=\"\(fill)\"")
        if node.inPlace { attributes.append("style=\"filled,rounded,dashed\"") }
        return attributes.joined(separator: ", ")
    }

    static let fillColours: [Kind: String] = [
        .data: "#a8dab5", .loss: "#f6aea9", .metric: "#fde293", .convolution: "#c6dafc",
        .pooling: "#fdc69c", .innerProduct: "#d7aefb", .normalization: "#b3e5e8",
        .activation: "#f1f3f4", .other: "#e8eaed",
    ]

    /// A DOT quoted string: backslashes and quotes escaped, line breaks as `\n`
    /// (Graphviz's centred line break); other characters go through as UTF-8.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": break
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
