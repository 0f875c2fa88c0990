/// Lines up the layers of several nets the way `diff` lines up two files, so a
/// side-by-side table shows each layer next to its counterparts.
///
/// - Layers with the same name are the same layer, wherever they are: AlexNet's
///   conv→relu→norm→pool and CaffeNet's conv→relu→pool→norm give one line for `norm1`
///   and one for `pool1`, in the first net's order (the order difference is for the
///   comparison to point out, not a reason to show the layers twice).
/// - Between the name matches that keep their relative order (the longest such
///   chain), layers that match no name are paired by type, in order (a renamed
///   layer), and where equally many are left on both sides, by position (a replaced
///   one). The rest are layers one net has and the other has not.
///
/// More than two nets are merged one at a time into the lines built so far.
public struct NetAlignment: Equatable {
    public struct Layer: Equatable {
        public var name: String
        public var type: String
        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    /// One entry per line of the table: for each net, the index of its layer on this
    /// line, or nil when that net has no layer there.
    public private(set) var rows: [[Int?]]

    public init(_ nets: [[Layer]]) {
        guard let first = nets.first else { rows = []; return }
        rows = first.indices.map { [$0] + Array(repeating: nil, count: nets.count - 1) }
        for k in nets.indices.dropFirst() { merge(net: k, of: nets) }
    }

    private mutating func merge(net k: Int, of nets: [[Layer]]) {
        let layers = nets[k]
        let match = matchByName(net: k, of: nets)
        var lines = rows
        for (j, r) in match.enumerated() { if let r { lines[r][k] = j } }

        // Name matches in the same relative order anchor the alignment; the others
        // stay on their line and are reported as moved.
        let matched = match.indices.filter { match[$0] != nil }
        let chain = Self.longestIncreasingSubsequence(matched.map { match[$0]! })
        let anchors = chain.map { (row: match[matched[$0]]!, layer: matched[$0]) }
            + [(row: rows.count, layer: layers.count)]

        var merged: [[Int?]] = []
        var previous = (row: -1, layer: -1)
        for anchor in anchors {
            let gapRows = Array((previous.row + 1)..<anchor.row)
            let freeRows = gapRows.filter { lines[$0][k] == nil }
            let freeLayers = ((previous.layer + 1)..<anchor.layer).filter { match[$0] == nil }
            let pairs = Self.pair(freeRows.map { Self.key(of: rows[$0], in: nets) }, freeLayers.map { layers[$0] })
            var nextRow = 0, nextLayer = 0
            func newLine(_ j: Int) -> [Int?] {
                var line = [Int?](repeating: nil, count: nets.count)
                line[k] = j
                return line
            }
            for (fr, fl) in pairs {
                let row = freeRows[fr]
                while nextRow < gapRows.count, gapRows[nextRow] < row { merged.append(lines[gapRows[nextRow]]); nextRow += 1 }
                while nextLayer < fl { merged.append(newLine(freeLayers[nextLayer])); nextLayer += 1 }
                lines[row][k] = freeLayers[fl]
                merged.append(lines[row])
                nextRow += 1
                nextLayer = fl + 1
            }
            while nextRow < gapRows.count { merged.append(lines[gapRows[nextRow]]); nextRow += 1 }
            while nextLayer < freeLayers.count { merged.append(newLine(freeLayers[nextLayer])); nextLayer += 1 }
            if anchor.row < rows.count { merged.append(lines[anchor.row]) }
            previous = anchor
        }
        rows = merged
    }

    /// For each layer of net `k`: the line whose layer (in any net merged so far) has
    /// its name. Repeated names pair up in order of appearance.
    private func matchByName(net k: Int, of nets: [[Layer]]) -> [Int?] {
        var linesByName: [String: [Int]] = [:]
        for (r, line) in rows.enumerated() {
            var names: [String] = []
            for (m, j) in line.enumerated() { if let j, !names.contains(nets[m][j].name) { names.append(nets[m][j].name) } }
            for name in names { linesByName[name, default: []].append(r) }
        }
        var taken = Set<Int>()
        return nets[k].map { layer in
            guard let r = linesByName[layer.name]?.first(where: { !taken.contains($0) }) else { return nil }
            taken.insert(r)
            return r
        }
    }

    /// The layer that represents a line when matching: its first net's.
    private static func key(of line: [Int?], in nets: [[Layer]]) -> Layer {
        for (m, j) in line.enumerated() { if let j { return nets[m][j] } }
        return Layer(name: "", type: "")
    }

    /// Pairs of (index in `a`, index in `b`), increasing in both: a longest common
    /// subsequence by type, then position-wise pairs inside each stretch between two
    /// type pairs that has as many layers on both sides.
    static func pair(_ a: [Layer], _ b: [Layer]) -> [(Int, Int)] {
        let byType = longestCommonSubsequence(a.map(\.type), b.map(\.type))
        var result: [(Int, Int)] = []
        var start = (0, 0)
        for bound in byType + [(a.count, b.count)] {
            let left = bound.0 - start.0, right = bound.1 - start.1
            if left == right { for i in 0..<left { result.append((start.0 + i, start.1 + i)) } }
            if bound.0 < a.count { result.append(bound) }
            start = (bound.0 + 1, bound.1 + 1)
        }
        return result
    }

    /// Index pairs of one longest common subsequence; ties keep the earliest pairs.
    static func longestCommonSubsequence<T: Equatable>(_ a: [T], _ b: [T]) -> [(Int, Int)] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        // lengths[i][j]: LCS length of a[i...] and b[j...].
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in a.indices.reversed() {
            for j in b.indices.reversed() {
                lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var result: [(Int, Int)] = []
        var i = 0, j = 0
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                result.append((i, j)); i += 1; j += 1
            } else if lengths[i + 1][j] >= lengths[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }

    /// Positions (into `values`) of one longest strictly increasing subsequence.
    static func longestIncreasingSubsequence(_ values: [Int]) -> [Int] {
        guard !values.isEmpty else { return [] }
        var length = [Int](repeating: 1, count: values.count)
        var before = [Int](repeating: -1, count: values.count)
        for i in values.indices {
            for j in 0..<i where values[j] < values[i] && length[j] + 1 > length[i] {
                length[i] = length[j] + 1
                before[i] = j
            }
        }
        var end = 0
        for i in values.indices where length[i] > length[end] { end = i }
        var result: [Int] = []
        var i = end
        while i >= 0 { result.append(i); i = before[i] }
        return result.reversed()
    }
}
