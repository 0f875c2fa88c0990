import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// The DOT text of `swiftcaffe draw`, read back and checked as a graph: a node per
/// layer, an edge per blob from the layer that wrote it to each reader, labelled
/// with its shape; in-place layers, groups, data and loss layers.
final class NetDrawingTests: XCTestCase {
    func net(_ model: String, phase: Caffe_Phase? = nil) throws -> Net {
        try NetBuilder.build(try NetDefinition.load(path: TestSupport.model(model)),
                             options: NetBuildOptions(phase: phase, inspectOnly: true))
    }

    /// What the file says, computed here without NetDrawing: (writer, reader, blob) for
    /// every bottom, where the writer is the last layer before the reader with the blob as a top.
    func expectedEdges(_ net: Net) -> [(from: String, to: String, blob: String, inPlace: Bool)] {
        var writer: [String: String] = [:]
        var result: [(from: String, to: String, blob: String, inPlace: Bool)] = []
        for layer in net.layers.map(\.param) where !(layer.type == "Split" && layer.name.hasSuffix("_split")) {
            for bottom in layer.bottom {
                // Readers of a split copy read the blob the split copies.
                let blob = bottom.range(of: "_split_").map { _ in
                    net.layers.first { $0.param.top.contains(bottom) }!.param.bottom[0]
                } ?? bottom
                result.append((writer[blob]!, layer.name, blob, layer.top.contains(bottom)))
            }
            for top in layer.top { writer[top] = layer.name }
        }
        return result
    }

    /// "10×96×55×55"; a loss or accuracy is a scalar.
    func shapeText(_ shape: [Int]) -> String { shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×") }

    func assertStructure(_ net: Net, file: StaticString = #filePath, line: UInt = #line) throws -> ParsedDOT {
        let dot = try ParsedDOT(NetDrawing(net: net).dot(), file: file, line: line)
        let layers = net.layers.filter { !($0.type == "Split" && $0.name.hasSuffix("_split")) }
        XCTAssertEqual(dot.nodes.count, layers.count + net.outputIDs.count, file: file, line: line)
        for layer in layers {
            let id = try XCTUnwrap(dot.node(named: layer.name), "no node for \(layer.name)", file: file, line: line)
            XCTAssertEqual(dot.labelLines(of: id)[1], layer.type, file: file, line: line)
        }
        let expected = expectedEdges(net)
        XCTAssertEqual(dot.edges.count, expected.count + net.outputIDs.count, file: file, line: line)
        for edge in expected {
            let from = try XCTUnwrap(dot.node(named: edge.from)), to = try XCTUnwrap(dot.node(named: edge.to))
            let found = dot.edges.filter { $0.from == from && $0.to == to }
            XCTAssertEqual(found.count, 1, "\(edge.from) -> \(edge.to)", file: file, line: line)
            if edge.inPlace {
                XCTAssertEqual(found.first?.label, "in place", file: file, line: line)
                XCTAssertEqual(found.first?.attributes["style"], "dashed", file: file, line: line)
            } else {
                XCTAssertEqual(found.first?.label, "\(edge.blob)\n\(shapeText(net.blob(named: edge.blob)!.shape))", "\(edge.from) -> \(edge.to)", file: file, line: line)
                XCTAssertNil(found.first?.attributes["style"], file: file, line: line)
            }
        }
        for (k, id) in net.outputIDs.enumerated() {
            let name = net.blobNames[id]
            let edge = try XCTUnwrap(dot.edges.first { $0.to == "output\(k)" }, file: file, line: line)
            XCTAssertEqual(edge.label, "\(name)\n" + shapeText(net.blobs[id].shape), file: file, line: line)
        }
        return dot
    }

    func testCaffeNetDeployIsOneNodePerLayerAndOneEdgePerBlobRead() throws {
        let net = try net("bvlc_reference_caffenet/deploy.prototxt")
        let dot = try assertStructure(net)
        XCTAssertEqual(dot.graphName, "CaffeNet")
        XCTAssertEqual(dot.graph["rankdir"], "TB")
        // Hand-checked edges of the first stage (CaffeNet: conv → relu → pool → norm).
        func edge(_ from: String, _ to: String) -> ParsedDOT.Edge? {
            dot.edges.first { $0.from == dot.node(named: from) && $0.to == dot.node(named: to) }
        }
        XCTAssertEqual(edge("data", "conv1")?.label, "data\n10×3×227×227")
        XCTAssertEqual(edge("conv1", "relu1")?.label, "in place")
        XCTAssertEqual(edge("relu1", "pool1")?.label, "conv1\n10×96×55×55")
        XCTAssertEqual(edge("pool1", "norm1")?.label, "pool1\n10×96×27×27")
        XCTAssertEqual(edge("norm1", "conv2")?.label, "norm1\n10×96×27×27")
        XCTAssertEqual(edge("fc6", "relu6")?.label, "in place")
        XCTAssertEqual(edge("relu6", "drop6")?.label, "in place")
        XCTAssertEqual(edge("drop6", "fc7")?.label, "fc6\n10×4096")
        XCTAssertEqual(dot.edges.last?.label, "prob\n10×1000")
    }

    func testLayerLabelsShowKeyParametersGroupsAndInPlace() throws {
        let dot = try ParsedDOT(NetDrawing(net: try net("bvlc_alexnet/deploy.prototxt")).dot())
        func label(_ name: String) -> [String] { dot.labelLines(of: dot.node(named: name)!) }
        func attributes(_ name: String) -> [String: String] { dot.nodes[dot.node(named: name)!]! }
        XCTAssertEqual(label("conv1"), ["conv1", "Convolution", "96 outputs, 11×11 kernel, stride 4"])
        XCTAssertEqual(label("conv2"), ["conv2", "Convolution", "256 outputs, 5×5 kernel, pad 2", "group 2"])
        XCTAssertEqual(label("conv3"), ["conv3", "Convolution", "384 outputs, 3×3 kernel, pad 1"])
        XCTAssertEqual(label("pool1"), ["pool1", "Pooling", "MAX 3×3, stride 2"])
        XCTAssertEqual(label("norm1"), ["norm1", "LRN", "size 5, α 0.0001, β 0.75"])
        XCTAssertEqual(label("fc6"), ["fc6", "InnerProduct", "4096 outputs"])
        XCTAssertEqual(label("drop6"), ["drop6", "Dropout", "ratio 0.5", "(in place)"])
        XCTAssertEqual(label("relu1"), ["relu1", "ReLU", "(in place)"])
        // Groups: double border and their own colour; in place: dashed.
        for grouped in ["conv2", "conv4", "conv5"] { XCTAssertEqual(attributes(grouped)["peripheries"], "2", grouped) }
        for single in ["conv1", "conv3"] { XCTAssertNil(attributes(single)["peripheries"], single) }
        XCTAssertNotEqual(attributes("conv2")["fillcolor"], attributes("conv1")["fillcolor"])
        XCTAssertEqual(attributes("relu1")["style"], "filled,rounded,dashed")
        XCTAssertNil(attributes("conv1")["style"])
    }

    /// The TEST net reads `label` twice (accuracy and loss): the split Caffe inserts is
    /// not drawn, both readers get the edge from the data layer.
    func testTrainValDrawsDataAndLossDistinctlyAndHidesInsertedSplits() throws {
        let testNet = try net("bvlc_alexnet/train_val.prototxt", phase: .test)
        XCTAssertTrue(testNet.layers.contains { $0.name == "label_data_1_split" })
        let dot = try assertStructure(testNet)
        XCTAssertNil(dot.node(named: "label_data_1_split"))
        let data = try XCTUnwrap(dot.node(named: "data"))
        let readersOfLabel = dot.edges.filter { $0.from == data && $0.label == "label\n50" }.map { dot.labelLines(of: $0.to)[0] }
        XCTAssertEqual(readersOfLabel.sorted(), ["accuracy", "loss"])

        let trainDot = try assertStructure(try net("bvlc_alexnet/train_val.prototxt", phase: .train))
        let colours = ["data", "loss", "conv1", "fc8", "pool1"].map { trainDot.nodes[trainDot.node(named: $0)!]!["fillcolor"]! }
        XCTAssertEqual(Set(colours).count, colours.count, "data, loss, convolution, inner product, pooling: \(colours)")
        XCTAssertEqual(trainDot.labelLines(of: trainDot.node(named: "data")!), ["data", "Data", "batch 256"])
        XCTAssertEqual(trainDot.graph["label"], "AlexNet, phase TRAIN, batch 256")
    }

    func testNamesWithQuotesAndBackslashesAreEscaped() throws {
        let text = #"""
            name: "odd \"net\""
            layer { name: "in \"put\"" type: "Input" top: "x\\y" input_param { shape { dim: 1 dim: 2 } } }
            layer { name: "back\\slash\nnewline" type: "ReLU" bottom: "x\\y" top: "r{1}" }
            """#
        let net = try TestSupport.buildNet(text, options: NetBuildOptions(inspectOnly: true))
        let drawing = NetDrawing(net: net)
        let dot = try ParsedDOT(drawing.dot(direction: .leftToRight))
        XCTAssertEqual(dot.graphName, "odd \"net\"")
        XCTAssertEqual(dot.graph["rankdir"], "LR")
        XCTAssertEqual(dot.labelLines(of: "layer0"), ["in \"put\"", "Input"])
        XCTAssertEqual(dot.labelLines(of: "layer1"), ["back\\slash", "newline", "ReLU"])
        XCTAssertEqual(dot.edges.first?.label, "x\\y\n1×2")
        XCTAssertEqual(dot.edges.last?.label, "r{1}\n1×2")
        if Graphviz.findExecutable("dot", in: ProcessInfo.processInfo.environment["PATH"]) != nil {
            let svg = String(decoding: try Graphviz.render(drawing.dot(), as: .svg), as: UTF8.self)
            XCTAssertTrue(svg.contains("back\\slash"), "Graphviz read the escaped label back")
        }
    }

    func testGraphvizRendersSVGAndPNG() throws {
        guard Graphviz.findExecutable("dot", in: ProcessInfo.processInfo.environment["PATH"]) != nil else {
            throw XCTSkip("Graphviz 'dot' is not installed (scripts/setup installs it)")
        }
        let dot = NetDrawing(net: try net("bvlc_reference_caffenet/deploy.prototxt")).dot()
        let svg = String(decoding: try Graphviz.render(dot, as: .svg), as: UTF8.self)
        XCTAssertTrue(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"), String(svg.prefix(100)))
        XCTAssertTrue(svg.contains("</svg>"))
        XCTAssertTrue(svg.contains("group 2"))
        let png = try Graphviz.render(dot, as: .png)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testMissingDotIsAnErrorThatSaysHowToInstallIt() throws {
        let empty = try TestSupport.temporaryDirectory(self)
        let error = TestSupport.error { _ = try Graphviz.render("digraph { a }", as: .svg, searchPath: empty.path) }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertTrue(error?.message.contains("'dot'") ?? false, error?.description ?? "")
        XCTAssertTrue(error?.hint?.contains("apt-get install graphviz") ?? false, error?.description ?? "")
        XCTAssertNil(Graphviz.findExecutable("dot", in: ""))
        XCTAssertNil(Graphviz.findExecutable("dot", in: nil))
    }
}
