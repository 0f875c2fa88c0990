/// One lexical unit of protobuf text format, with the position where it starts.
///
/// Tokens keep their source spelling (`text`) so that diagnostics can quote exactly
/// what the user wrote ("found '1.5'") rather than a re-formatted value.
struct PrototxtToken: Equatable {
    enum Kind: Equatable {
        /// `[A-Za-z_][A-Za-z0-9_]*`: field names, enum values, `true`, `inf`, ...
        case identifier(String)
        /// An unsigned integer literal (the sign is a separate `-` token).
        case integer(PrototxtInteger)
        /// A floating-point literal such as `1.5`, `.5`, `1e-4`, `0.1f`.
        case float(Double)
        /// A quoted string after escape processing. Kept as bytes: text format strings
        /// may hold arbitrary bytes (`\xFF`), and only `string` fields require UTF-8.
        case string([UInt8])
        /// One of `{ } < > [ ] : , ; - + .`
        case symbol(Character)
        case endOfFile
    }

    var kind: Kind
    var line: Int
    var column: Int
    /// The token as written in the source (for strings: including the quotes).
    var text: String

    func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    func isSymbol(_ symbol: Character) -> Bool {
        kind == .symbol(symbol)
    }

    /// How the token is named in an error message: `'abc'`, `'{'`, `"text"`, `end of file`.
    var quoted: String {
        switch kind {
        case .endOfFile:
            return "end of file"
        case .string:
            return PrototxtToken.abbreviate(text)
        default:
            return "'\(PrototxtToken.abbreviate(text))'"
        }
    }

    /// Long tokens (a 2 KB string) would drown the message; keep the start only.
    static func abbreviate(_ text: String, limit: Int = 40) -> String {
        if text.count <= limit { return text }
        return String(text.prefix(limit)) + "..."
    }
}

/// An integer literal as written: its magnitude, or `nil` when it does not fit in
/// 64 bits (then only a floating-point field can take it, as in Google's parser).
public struct PrototxtInteger: Equatable, Sendable {
    public var magnitude: UInt64?
    /// The literal's spelling without sign, e.g. `0x1F`, `017`, `42`.
    public var text: String

    public init(magnitude: UInt64?, text: String) {
        self.magnitude = magnitude
        self.text = text
    }

    /// The value as a Double, for floating-point fields (works for any size).
    public var doubleValue: Double {
        if let magnitude { return Double(magnitude) }
        return Double(text) ?? .infinity
    }
}
