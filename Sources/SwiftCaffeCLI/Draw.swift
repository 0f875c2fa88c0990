import ArgumentParser
import Foundation
import SwiftCaffe

struct Draw: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a net as a graph: layers as boxes, blobs as edges with their shapes.",
        discussion: """
            Writes Graphviz DOT text (-o FILE.dot, or to standard output without -o), or \
            SVG/PNG through Graphviz's 'dot' program (-o FILE.svg, -o FILE.png; Debian \
            package 'graphviz'). Layers show their type and key parameters, edges the \
            blob's name and shape; in-place layers are dashed, grouped convolutions \
            double-edged, data and loss layers coloured. A data layer whose database does \
            not exist yet takes its shape from --data-shape; without it, edges of unknown \
            shape say '?'.

            Example: swiftcaffe draw models/bvlc_reference_caffenet/deploy.prototxt -o caffenet.svg
            """
    )

    @Argument(help: "The net definition (.prototxt).")
    var net: String

    @OptionGroup var state: NetStateOptions

    @OptionGroup var data: DataShapeOptions

    @Option(help: "Graph direction: TB (top to bottom) or LR (left to right).")
    var rankdir: RankDirArgument = .tb

    @Option(name: .shortAndLong, help: "Output file: .svg, .png or .dot (default: DOT text on standard output).")
    var output: String?

    /// The output's format from its extension; a usage error before any work is done.
    private var outputFormat: String? {
        output.map { ($0 as NSString).pathExtension.lowercased() }
    }

    func validate() throws {
        try reportingErrors {
            _ = try data.shapes()
            if let output, let format = outputFormat, !["dot", "gv", "svg", "png"].contains(format) {
                throw SwiftCaffeError(.usage, "cannot tell the format of '\(output)' from its extension",
                                      field: "-o", hint: "end the file name in .svg, .png or .dot")
            }
        }
    }

    func run() throws {
        let definition = try NetDefinition.load(path: net)
        var options = try data.applied(to: state.buildOptions(inspectOnly: true))
        options.allowsUnknownShapes = true  // edges of unknown shape say '?'
        let built = try NetBuilder.build(definition, options: options)
        let drawing = NetDrawing(net: built)
        let dot = drawing.dot(direction: rankdir.direction)
        guard let output else {
            print(dot, terminator: "")
            return
        }
        let data: Data
        switch outputFormat {
        case "svg": data = try Graphviz.render(dot, as: .svg)
        case "png": data = try Graphviz.render(dot, as: .png)
        default: data = Data(dot.utf8)  // .dot or .gv (validate() refused the rest)
        }
        try AtomicFile.write(data, to: output)
        let layers = drawing.nodes.filter { !$0.isOutput }.count
        print("Wrote \(output) (\(layers) layers, \(drawing.edges.count) edges)")
    }
}

enum RankDirArgument: String, ExpressibleByArgument, CaseIterable {
    case tb = "TB", lr = "LR"

    init?(argument: String) { self.init(rawValue: argument.uppercased()) }

    var direction: NetDrawing.Direction { self == .tb ? .topToBottom : .leftToRight }
}
