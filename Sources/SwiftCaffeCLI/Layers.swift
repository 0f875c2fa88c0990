import ArgumentParser
import SwiftCaffe

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the layer types SwiftCaffe implements, with a one-line description each.",
        discussion: """
            Prints every registered layer type (the 'type' of a prototxt layer) by group, \
            as the net builder knows them.

            Example: swiftcaffe layers
            """
    )

    func run() throws {
        print(Self.catalogue(LayerRegistry.builtInLayers))
    }

    /// The types under their groups, in registration order, descriptions aligned.
    static func catalogue(_ layers: [LayerRegistry.BuiltInLayer]) -> String {
        let width = layers.map(\.type.count).max() ?? 0
        var lines: [String] = []
        var group: String?
        for layer in layers {
            if layer.group != group {
                if group != nil { lines.append("") }
                lines.append(layer.group + ":")
                group = layer.group
            }
            let pad = String(repeating: " ", count: width - layer.type.count)
            lines.append("  " + layer.type + pad + "  " + layer.summary)
        }
        lines.append("")
        lines.append("\(layers.count) layer types.")
        return lines.joined(separator: "\n")
    }
}
