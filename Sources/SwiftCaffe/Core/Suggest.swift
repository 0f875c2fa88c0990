/// "Did you mean ...?" for misspelled names: fields, enum values, layer types, blobs.
///
/// Caffe files are typed by hand, so the common mistakes are one or two keystrokes
/// away from a valid name (`kernal_size`, `num_ouput`, `MAXX`, `max`). The distance
/// is Damerau–Levenshtein (optimal string alignment: a swapped pair of letters counts
/// as one edit) on lower-cased names, so a wrong case costs nothing.
public enum Suggest {
    /// Up to `limit` candidates close to `word`, closest first (ties keep the
    /// candidates' order, which is declaration order in the schema).
    public static func closest(to word: String, among candidates: [String], limit: Int = 3) -> [String] {
        let target = Array(word.lowercased().unicodeScalars)
        var scored: [(distance: Int, order: Int, name: String)] = []
        for (order, candidate) in candidates.enumerated() {
            let other = Array(candidate.lowercased().unicodeScalars)
            // Allow about one edit per three letters, at least one and at most three.
            let threshold = max(1, min(3, max(target.count, other.count) / 3))
            let d = distance(target, other)
            if d <= threshold { scored.append((d, order, candidate)) }
        }
        scored.sort { ($0.distance, $0.order) < ($1.distance, $1.order) }
        // Only the case differs: that is the answer; farther names would be noise.
        guard let best = scored.first else { return [] }
        if best.distance == 0 {
            return scored.prefix { $0.distance == 0 }.prefix(limit).map(\.name)
        }
        // Names two or more edits farther than the best are noise too ('Convolutoin' is
        // one swap from Convolution, three edits from Deconvolution).
        return scored.prefix { $0.distance <= best.distance + 1 }.prefix(limit).map(\.name)
    }

    /// Optimal-string-alignment distance between two scalar arrays.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        // Three rolling rows: two back (for transpositions), previous, current.
        var older = [Int](repeating: 0, count: width)
        var previous = Array(0...b.count)
        var row = [Int](repeating: 0, count: width)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, older[j - 2] + 1)
                }
                row[j] = best
            }
            (older, previous, row) = (previous, row, older)
        }
        return previous[b.count]
    }

    /// "did you mean 'a' or 'b'?", or nil when nothing is close.
    public static func didYouMean(_ word: String, among candidates: [String]) -> String? {
        let close = closest(to: word, among: candidates)
        return close.isEmpty ? nil : "did you mean \(quotedList(close))?"
    }

    /// "'a'", "'a' or 'b'", "'a', 'b' or 'c'".
    static func quotedList(_ names: [String], conjunction: String = "or") -> String {
        let quoted = names.map { "'\($0)'" }
        guard let last = quoted.last else { return "" }
        if quoted.count == 1 { return last }
        return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }

    /// "a", "a or b", "a, b or c" — unquoted, for field names in prose.
    static func plainList(_ names: [String], conjunction: String = "or") -> String {
        guard let last = names.last else { return "" }
        if names.count == 1 { return last }
        return names.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
