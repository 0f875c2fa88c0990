import CaffeProto

/// What `swiftcaffe compare` shows: the layers of several nets lined up side by side
/// (`NetAlignment`), each line with every net's type, top shapes, parameters,
/// multiply-adds and memory (`NetSummary`), optionally measured times (`NetTimer`),
/// and what differs on that line; totals per net.
public struct NetComparison {
    /// One net of the comparison.
    public struct Member {
        /// How the table names this net ("AlexNet", or the file name when names repeat).
        public var label: String
        public var file: String
        public var summary: NetSummary
        /// Per layer (same order as `summary.rows`): its definition.
        public var layers: [Caffe_LayerParameter]
        /// Per layer, when measured.
        public var timing: NetTimer.Result?

        /// `timing` may come from a runnable build of the same definition (data layers
        /// stood in for); it is kept only if its layers are this net's, one for one.
        public init(label: String, file: String, net: Net, timing: NetTimer.Result? = nil) {
            self.label = label
            self.file = file
            summary = NetSummary(net: net)
            layers = net.layers.map(\.param)
            self.timing = timing?.layerNames == net.layers.map(\.name) ? timing : nil
        }
    }

    public struct Difference: Equatable, CustomStringConvertible {
        public enum Kind: Equatable {
            /// Some nets have no layer on this line.
            case missing
            /// The layers on this line have different names (paired by type or position).
            case renamed
            case type
            /// The layer comes before another in one net and after it in another.
            case order
            case topShapes
            case parameterCount
            /// A field of the layers' definitions (`convolution_param.group`, `param[1].lr_mult`).
            case setting(String)
        }

        public var kind: Kind
        public var message: String
        public var description: String { message }
    }

    public struct Row {
        /// Per member: the index of its layer on this line (into `summary.rows`), or nil.
        public var entries: [Int?]
        public var differences: [Difference]
    }

    public var members: [Member]
    public var rows: [Row]

    public init(members: [Member]) {
        self.members = members
        let alignment = NetAlignment(members.map { member in
            member.summary.rows.map { NetAlignment.Layer(name: $0.name, type: $0.type) }
        })
        rows = alignment.rows.map { Row(entries: $0, differences: []) }
        for r in rows.indices { rows[r].differences = differences(onRow: r) }
        addOrderDifferences()
    }

    /// The name shown for a line: the layers' name, or their names joined when they differ.
    public func name(ofRow r: Int) -> String {
        var names: [String] = []
        for (m, i) in rows[r].entries.enumerated() {
            if let i, !names.contains(members[m].summary.rows[i].name) { names.append(members[m].summary.rows[i].name) }
        }
        return names.joined(separator: " / ")
    }

    public func summaryRow(_ r: Int, member m: Int) -> NetSummary.Row? {
        rows[r].entries[m].map { members[m].summary.rows[$0] }
    }

    /// Lines with at least one difference.
    public var differingRows: [Int] { rows.indices.filter { !rows[$0].differences.isEmpty } }

    // MARK: - Differences

    private func differences(onRow r: Int) -> [Difference] {
        let present = members.indices.filter { rows[r].entries[$0] != nil }
        var result: [Difference] = []
        if present.count < members.count {
            let labels = present.map { members[$0].label }
            result.append(Difference(kind: .missing, message: "only in " + Self.list(labels)))
        }
        let entries = present.map { (member: $0, row: members[$0].summary.rows[rows[r].entries[$0]!],
                                     param: members[$0].layers[rows[r].entries[$0]!]) }
        guard entries.count > 1 else { return result }
        func differ(_ kind: Difference.Kind, _ what: String, _ value: (Int) -> String) {
            let values = entries.indices.map(value)
            guard Set(values).count > 1 else { return }
            result.append(Difference(kind: kind, message: "\(what): " + valuesByMember(values, present)))
        }
        differ(.renamed, "name") { entries[$0].row.name }
        differ(.type, "type") { entries[$0].row.type }
        differ(.topShapes, "top shapes") { entries[$0].row.topShapes.map(Blob.describe).joined(separator: ", ") }
        differ(.parameterCount, "parameters") { NetSummary.grouped(entries[$0].row.parameters) }
        for difference in LayerSettings.differences(entries.map { LayerSettings($0.param) }) {
            result.append(Difference(kind: .setting(difference.path),
                                     message: "\(difference.path): " + valuesByMember(difference.values, present)))
        }
        return result
    }

    /// "0.1 in AlexNet, 1 in CaffeNet" — members with the same value grouped.
    private func valuesByMember(_ values: [String], _ present: [Int]) -> String {
        var order: [String] = []
        var who: [String: [String]] = [:]
        for (value, m) in zip(values, present) {
            if who[value] == nil { order.append(value) }
            who[value, default: []].append(members[m].label)
        }
        return order.map { "\($0) in \(Self.list(who[$0]!))" }.joined(separator: ", ")
    }

    /// For every pair of lines whose layers two nets run in opposite orders, an order
    /// difference on both lines ("after pool1 in CaffeNet, before it in AlexNet").
    private mutating func addOrderDifferences() {
        // (line, net where it differs, reference net, comes after?) → the other lines.
        struct Key: Hashable { var row: Int; var member: Int; var reference: Int; var after: Bool }
        var crossed: [Key: [Int]] = [:]
        var keys: [Key] = []
        for a in rows.indices {
            for b in rows.indices where b > a {
                let both = members.indices.filter { rows[a].entries[$0] != nil && rows[b].entries[$0] != nil }
                guard let reference = both.first else { continue }
                let referenceOrder = rows[a].entries[reference]! < rows[b].entries[reference]!
                for m in both.dropFirst() where (rows[a].entries[m]! < rows[b].entries[m]!) != referenceOrder {
                    for (row, other, after) in [(a, b, referenceOrder), (b, a, !referenceOrder)] {
                        let key = Key(row: row, member: m, reference: reference, after: after)
                        if crossed[key] == nil { keys.append(key) }
                        crossed[key, default: []].append(other)
                    }
                }
            }
        }
        for key in keys {
            let others = crossed[key]!.sorted()
            var names = others.prefix(3).map { name(ofRow: $0) }
            if others.count > 3 { names.append("\(others.count - 3) more") }
            let them = others.count == 1 ? "it" : "them"
            let message = "order: \(key.after ? "after" : "before") \(Self.list(names)) in \(members[key.member].label), "
                + "\(key.after ? "before" : "after") \(them) in \(members[key.reference].label)"
            // Order first: it explains the shape and memory differences that follow from it.
            let position = rows[key.row].differences.firstIndex { $0.kind != .missing && $0.kind != .renamed && $0.kind != .type }
            rows[key.row].differences.insert(Difference(kind: .order, message: message),
                                              at: position ?? rows[key.row].differences.count)
        }
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    // MARK: - Totals

    public struct Totals: Equatable {
        public var parameters: Int
        public var multiplyAddsPerImage: Int
        public var activationBytes: Int
        public var forwardMilliseconds: Double?
        public var backwardMilliseconds: Double?
    }

    public func totals(ofMember m: Int) -> Totals {
        let summary = members[m].summary
        return Totals(parameters: summary.totalParameters, multiplyAddsPerImage: summary.totalMultiplyAddsPerImage,
                      activationBytes: summary.totalActivationBytes,
                      forwardMilliseconds: members[m].timing?.averageForward,
                      backwardMilliseconds: members[m].timing?.averageBackward)
    }

    /// Labels for nets: their names when those are distinct, else their file names, else
    /// more of their paths, else letters.
    public static func labels(netNames: [String], files: [String]) -> [String] {
        func distinct(_ labels: [String]) -> Bool { Set(labels).count == labels.count && !labels.contains("") }
        let stems = files.map { file -> String in
            let base = file.split(separator: "/").last.map(String.init) ?? file
            return base.hasSuffix(".prototxt") ? String(base.dropLast(".prototxt".count)) : base
        }
        let parents = zip(files, stems).map { file, stem -> String in
            let parts = file.split(separator: "/")
            return parts.count >= 2 ? "\(parts[parts.count - 2])/\(stem)" : stem
        }
        for candidate in [netNames, stems, parents, files] where distinct(candidate) { return candidate }
        return files.indices.map { i in i < 26 ? String(UnicodeScalar(UInt8(65 + i))) : "net\(i + 1)" }
    }
}
