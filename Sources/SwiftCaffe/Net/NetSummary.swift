/// What `swiftcaffe summary` shows: per layer, in execution order, its wiring, output
/// shapes, learnable parameters, multiply-adds and activation memory; then totals.
public struct NetSummary {
    public struct Row {
        public var name: String
        public var type: String
        public var bottoms: [String]
        public var tops: [String]
        public var topShapes: [[Int]]
        /// False for a top whose shape is unknown (a data layer without its source, and
        /// what depends on it): its `topShapes` entry is empty.
        public var topShapeKnown: [Bool]
        /// Learnable values this layer owns (shared ones count at their first layer).
        public var parameters: Int
        /// Multiply-adds of one forward pass for one image.
        public var multiplyAddsPerImage: Int
        /// Bytes of the new (not in-place) tops' values for the whole batch.
        public var activationBytes: Int
        /// Not shaped, because a bottom's shape is unknown: parameters and the rest are unknown.
        public var unshaped = false
        /// Every top is one of the layer's bottoms (ReLU, Dropout … written in place).
        public var inPlace: Bool
    }

    public var netName: String
    public var phaseName: String
    public var batchSize: Int
    public var rows: [Row]
    public var notes: [String]

    /// Totals are of the shaped layers.
    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }
    public var totalMultiplyAddsPerImage: Int { rows.reduce(0) { $0 + $1.multiplyAddsPerImage } }
    public var totalActivationBytes: Int { rows.reduce(0) { $0 + $1.activationBytes } }

    public init(net: Net) {
        netName = net.name
        phaseName = net.state.phase == .train ? "TRAIN" : "TEST"
        // Without the data's shape (unknown), the batch is still known from its label.
        let labelBatch = net.layers.isEmpty ? nil : net.tops(ofLayer: 0).first { $0.numAxes > 0 }?.dim(0)
        let batch = max(net.batchSize ?? labelBatch ?? 1, 1)
        batchSize = batch
        notes = net.notes
        var seenParams = Set<ObjectIdentifier>()
        var seenBlobs = Set<Int>()
        rows = net.layers.indices.map { i in
            let layer = net.layers[i]
            let bottoms = net.bottoms(ofLayer: i), tops = net.tops(ofLayer: i)
            var parameters = 0
            for blob in layer.blobs where seenParams.insert(ObjectIdentifier(blob)).inserted {
                parameters += blob.count
            }
            let unshaped = net.unshapedLayers.contains(i)
            var memory = 0
            for id in net.topIDs[i] where seenBlobs.insert(id).inserted && net.unknownShapes[id] == nil {
                memory += net.blobs[id].byteCount
            }
            for id in net.bottomIDs[i] { seenBlobs.insert(id) }
            return Row(name: layer.name, type: layer.type,
                       bottoms: net.bottomIDs[i].map { net.blobNames[$0] },
                       tops: net.topIDs[i].map { net.blobNames[$0] },
                       topShapes: tops.map(\.shape), topShapeKnown: net.topIDs[i].map { net.unknownShapes[$0] == nil },
                       parameters: parameters,
                       multiplyAddsPerImage: unshaped ? 0 : layer.multiplyAdds(bottom: bottoms, top: tops) / batch,
                       activationBytes: memory, unshaped: unshaped,
                       inPlace: !net.topIDs[i].isEmpty && net.topIDs[i].allSatisfy(net.bottomIDs[i].contains))
        }
    }

    /// A plain-text table, columns aligned, numbers with thousands separators.
    public func render() -> String {
        let header = ["#", "layer", "type", "bottoms -> tops", "top shapes", "params", "mult-adds/image", "memory"]
        var table = [header]
        for (i, row) in rows.enumerated() {
            let wiring = (row.bottoms.isEmpty ? "" : row.bottoms.joined(separator: ",") + " ")
                + "-> " + (row.tops.isEmpty ? "(none)" : row.tops.joined(separator: ","))
            let shapes = zip(row.topShapes, row.topShapeKnown).map { $1 ? Blob.describe($0) : "?" }
                .joined(separator: ", ")
            table.append(row.unshaped
                ? [String(i + 1), row.name, row.type, wiring, shapes, "?", "?", row.inPlace ? "in place" : "?"]
                : [String(i + 1), row.name, row.type, wiring, shapes,
                   Self.grouped(row.parameters), Self.grouped(row.multiplyAddsPerImage),
                   row.inPlace ? "in place" : row.topShapeKnown.contains(false) ? "?" : Self.bytes(row.activationBytes)])
        }
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        let numeric: Set<Int> = [0, 5, 6, 7]
        var lines = ["Net '\(netName)', phase \(phaseName), batch \(batchSize) (as declared by the file)", ""]
        for cells in table {
            let padded = cells.enumerated().map { c, cell -> String in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric.contains(c) ? pad + cell : cell + pad
            }
            lines.append(padded.joined(separator: "  ").trimmingTrailingSpaces())
        }
        lines.append("")
        let unshaped = rows.filter(\.unshaped).count
        if unshaped > 0 {
            lines.append("Totals of the shaped layers only: \(unshaped) of \(rows.count) layers are not shaped.")
        }
        lines.append("Parameters:     \(Self.grouped(totalParameters)) (\(Self.bytes(totalParameters * 4)) as Float32)")
        lines.append("Multiply-adds:  \(Self.grouped(totalMultiplyAddsPerImage)) per image, "
                     + "\(Self.grouped(totalMultiplyAddsPerImage * batchSize)) per batch of \(batchSize)")
        lines.append("Activations:    \(Self.bytes(totalActivationBytes)) per batch of \(batchSize) "
                     + "(twice that when training, with gradients)")
        for note in notes { lines.append("Note: \(note)") }
        return lines.joined(separator: "\n")
    }

    /// 60965224 → "60,965,224".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Bytes in binary units with one decimal: "5.9 MiB".
    public static func bytes(_ value: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 { amount /= 1024; unit += 1 }
        if unit == 0 { return "\(value) B" }
        let tenths = (amount * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
