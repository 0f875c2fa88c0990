/// A net as a graph, for `swiftcaffe draw`: layers are boxes, blobs are the edges
/// from the layer that last wrote a blob to each layer that reads it, labelled with
/// the blob's name and shape. Written as Graphviz DOT (`dot()`).
///
/// - In-place layers (ReLU, Dropout written with top == bottom) sit in the chain of
///   the blob they modify: a dashed edge "in place" leads into them and a dashed box
///   marks them, as Caffe's draw_net attaches them to their blob.
/// - Split layers the net inserted for blobs read several times are not drawn: the
///   blob's edge goes straight to every reader, as the file says.
/// - Grouped convolutions say "group N" and have a double border; data and loss
///   layers have colours of their own.
public struct NetDrawing {
    public enum Direction: String, CaseIterable, Sendable {
        case leftToRight = "LR", topToBottom = "TB"
    }

    public enum Kind: String, Sendable {
        case data, loss, metric, convolution, pooling, innerProduct, normalization, activation, other
    }

    public struct Node: Equatable {
        /// The DOT node name: `layer<index in the net>`, or `output<k>` for the net's outputs.
        public var id: String
        /// Layer name, or the output blob's name.
        public var name: String
        public var type: String
        /// Key parameters, one line each ("96 outputs, 11×11 kernel, stride 4").
        public var details: [String]
        public var kind: Kind
        public var inPlace = false
        public var groups = 1
        public var isOutput = false
    }

    public struct Edge: Equatable {
        public var from: String
        public var to: String
        public var blob: String
        /// Empty for a blob whose shape is unknown (see `shapeKnown`).
        public var shape: [Int]
        /// Into a layer that overwrites this blob.
        public var inPlace: Bool
        /// False for a blob whose shape is unknown (a data layer without its source).
        public var shapeKnown = true
    }

    public var netName: String
    public var caption: String
    public private(set) var nodes: [Node] = []
    public private(set) var edges: [Edge] = []

    public init(net: Net) {
        let summary = NetSummary(net: net)
        netName = net.name
        caption = "\(net.name.isEmpty ? "net" : net.name), phase \(summary.phaseName), batch \(summary.batchSize)"
        var alias: [Int: Int] = [:]          // split top → the blob it copies
        var writer: [Int: String] = [:]      // blob → node that last wrote it
        func resolve(_ id: Int) -> Int { alias[id].map(resolve) ?? id }
        for i in net.layers.indices {
            let layer = net.layers[i]
            if Self.isInsertedSplit(layer, net: net, index: i) {
                for top in net.topIDs[i] { alias[top] = resolve(net.bottomIDs[i][0]) }
                continue
            }
            let node = Self.node(for: layer, id: "layer\(i)", inPlace: summary.rows[i].inPlace)
            nodes.append(node)
            for bottom in net.bottomIDs[i] {
                let blob = resolve(bottom)
                guard let source = writer[blob] else { continue }
                edges.append(Edge(from: source, to: node.id, blob: net.blobNames[blob], shape: net.blobs[blob].shape,
                                  inPlace: net.topIDs[i].contains(bottom), shapeKnown: net.unknownShapes[blob] == nil))
            }
            for top in net.topIDs[i] { writer[top] = node.id }
        }
        for (k, id) in net.outputIDs.enumerated() {
            guard let source = writer[resolve(id)] else { continue }
            let name = net.blobNames[id]
            nodes.append(Node(id: "output\(k)", name: name, type: "output", details: [], kind: .other, isOutput: true))
            edges.append(Edge(from: source, to: "output\(k)", blob: name, shape: net.blobs[id].shape, inPlace: false,
                              shapeKnown: net.unknownShapes[id] == nil))
        }
    }

    /// A Split layer of the builder's (named `<blob>_<producer>_<top>_split`, tops
    /// `<that>_<k>`), as opposed to one the file asks for.
    static func isInsertedSplit(_ layer: Layer, net: Net, index: Int) -> Bool {
        guard layer.type == "Split", layer.name.hasSuffix("_split"), net.bottomIDs[index].count == 1 else { return false }
        return net.topIDs[index].enumerated().allSatisfy { k, id in net.blobNames[id] == "\(layer.name)_\(k)" }
    }

    static func node(for layer: Layer, id: String, inPlace: Bool) -> Node {
        let p = layer.param
        var node = Node(id: id, name: layer.name, type: layer.type, details: [], kind: kind(of: layer), inPlace: inPlace)
        switch layer.type {
        case "Convolution", "Deconvolution":
            let c = p.convolutionParam
            let kernel = c.hasKernelH || c.hasKernelW ? [Int(c.kernelH), Int(c.kernelW)] : c.kernelSize.map(Int.init)
            let stride = c.hasStrideH || c.hasStrideW ? [Int(c.strideH), Int(c.strideW)] : c.stride.map(Int.init)
            let pad = c.hasPadH || c.hasPadW ? [Int(c.padH), Int(c.padW)] : c.pad.map(Int.init)
            var parts = ["\(c.numOutput) outputs", "\(size(kernel)) kernel"]
            if stride.contains(where: { $0 != 1 }) { parts.append("stride \(step(stride))") }
            if pad.contains(where: { $0 != 0 }) { parts.append("pad \(step(pad))") }
            if c.dilation.contains(where: { $0 != 1 }) { parts.append("dilation \(c.dilation.map(String.init).joined(separator: "×"))") }
            node.details = [parts.joined(separator: ", ")]
            node.groups = Int(max(c.group, 1))
            if node.groups > 1 { node.details.append("group \(node.groups)") }
        case "Pooling":
            let q = p.poolingParam
            let method = String(describing: q.pool).uppercased()
            if q.globalPooling {
                node.details = ["global \(method)"]
            } else {
                let kernel = q.hasKernelH || q.hasKernelW ? [Int(q.kernelH), Int(q.kernelW)] : [Int(q.kernelSize)]
                let stride = q.hasStrideH || q.hasStrideW ? [Int(q.strideH), Int(q.strideW)] : [Int(q.stride)]
                let pad = q.hasPadH || q.hasPadW ? [Int(q.padH), Int(q.padW)] : [Int(q.pad)]
                var parts = ["\(method) \(size(kernel))", "stride \(step(stride))"]
                if pad.contains(where: { $0 != 0 }) { parts.append("pad \(step(pad))") }
                node.details = [parts.joined(separator: ", ")]
            }
        case "InnerProduct":
            node.details = ["\(p.innerProductParam.numOutput) outputs"]
        case "LRN":
            let l = p.lrnParam
            var parts = ["size \(l.localSize)", "α \(NumberText.format(Double(l.alpha)))", "β \(NumberText.format(Double(l.beta)))"]
            if l.k != 1 { parts.append("k \(NumberText.format(Double(l.k)))") }
            node.details = [parts.joined(separator: ", ")]
            if l.normRegion == .withinChannel { node.details.append("within channel") }
        case "Dropout":
            node.details = ["ratio \(NumberText.format(Double(p.dropoutParam.dropoutRatio)))"]
        case "Data":
            node.details = ["batch \(p.dataParam.batchSize)"]
        case "ImageData":
            node.details = ["batch \(p.imageDataParam.batchSize)"]
        case "Eltwise":
            node.details = [String(describing: p.eltwiseParam.operation).uppercased()]
        case "Concat":
            node.details = ["axis \(p.concatParam.hasConcatDim ? Int(p.concatParam.concatDim) : Int(p.concatParam.axis))"]
        default:
            break
        }
        let weights = layer.lossWeights.filter { $0 != 0 }
        if node.kind == .loss, let weight = weights.first, weights.count == 1, weight != 1 {
            node.details.append("loss weight \(NumberText.format(Double(weight)))")
        }
        if inPlace { node.details.append("(in place)") }
        return node
    }

    static func kind(of layer: Layer) -> Kind {
        switch layer.type {
        case "Data", "ImageData", "Input", "DummyData", "MemoryData", "HDF5Data", "WindowData": return .data
        case "Accuracy": return .metric
        case "Convolution", "Deconvolution": return .convolution
        case "Pooling": return .pooling
        case "InnerProduct": return .innerProduct
        case "LRN", "BatchNorm", "MVN", "Scale", "Bias": return .normalization
        case "ReLU", "PReLU", "ELU", "Sigmoid", "TanH", "AbsVal", "Power", "Dropout", "Softmax": return .activation
        default:
            return layer.isLossLayer || layer.type.hasSuffix("Loss") || layer.lossWeights.contains { $0 != 0 } ? .loss : .other
        }
    }

    /// "11×11", or "3×5" when the sides differ; "?" when not given.
    static func size(_ sides: [Int]) -> String {
        switch sides.count {
        case 0: return "?"
        case 1: return "\(sides[0])×\(sides[0])"
        default: return sides.map(String.init).joined(separator: "×")
        }
    }

    /// A stride or pad: "4", or "2×1" when the sides differ.
    static func step(_ sides: [Int]) -> String {
        Set(sides).count <= 1 ? "\(sides.first ?? 0)" : sides.map(String.init).joined(separator: "×")
    }

    /// "10×96×55×55".
    public static func shapeText(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }
}
