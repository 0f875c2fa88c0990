/// Text made safe inside HTML and SVG/XML: element content and attribute values,
/// quoted with either `"` or `'`. The one escape the HTML report, the SVG charts and
/// the nets' comparison table share.
public enum MarkupText {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by their character references.
    /// Works on Unicode scalars, not Characters: a quote followed by a combining mark is
    /// one Character that compares unequal to `"`, and would otherwise slip through.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "&" || scalar == "<" || scalar == ">" || scalar == "\"" || scalar == "'"
    }
}
