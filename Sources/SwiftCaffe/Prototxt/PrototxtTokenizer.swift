/// Splits protobuf text format into tokens, tracking 1-based line and column.
///
/// It accepts what Google's C++ `TextFormat` (the parser Caffe uses) accepts:
/// identifiers; decimal, hex (`0x1F`) and octal (`017`) integers; floats (`1.5`, `.5`,
/// `1e-4`, `1.f`, `0.1F`); strings in `"` or `'` with C escapes; `#` comments; the
/// symbols `{ } < > [ ] : , ; - + .`. Signs are separate tokens, as in Google's
/// tokenizer, so `- 5` and `-inf` are handled by the parser.
///
/// Columns count Unicode scalars, not bytes, so a position after `name: "é"` is where
/// an editor shows it. The input must already be valid UTF-8 (see `PrototxtUTF8`).
struct PrototxtTokenizer {
    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        // A UTF-8 byte-order mark is invisible in editors; skip it without moving the column.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// All tokens, ending with one `.endOfFile` token. Throws on the first lexical error.
    mutating func tokenize() throws -> [PrototxtToken] {
        var tokens: [PrototxtToken] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .endOfFile { return tokens }
        }
    }

    // MARK: - Scanning

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ offset: Int) -> UInt8? {
        let i = index + offset
        return i < bytes.count ? bytes[i] : nil
    }

    /// Moves past one byte, keeping line/column right: a newline starts a new line,
    /// and UTF-8 continuation bytes do not advance the column.
    private mutating func advance() {
        guard let byte = current else { return }
        index += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    private func error(_ message: String, line: Int, column: Int, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.syntax, message, location: SourceLocation(file: file, line: line, column: column),
                        hint: hint)
    }

    private func text(from start: Int) -> String {
        String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func skipWhitespaceAndComments() {
        while let byte = current {
            if byte == UInt8(ascii: "#") {
                while let b = current, b != UInt8(ascii: "\n") { advance() }
            } else if PrototxtTokenizer.isWhitespace(byte) {
                advance()
            } else {
                return
            }
        }
    }

    private mutating func next() throws -> PrototxtToken {
        skipWhitespaceAndComments()
        let startLine = line, startColumn = column, start = index
        guard let byte = current else {
            return PrototxtToken(kind: .endOfFile, line: line, column: column, text: "")
        }
        func token(_ kind: PrototxtToken.Kind) -> PrototxtToken {
            PrototxtToken(kind: kind, line: startLine, column: startColumn, text: text(from: start))
        }
        if PrototxtTokenizer.isIdentifierStart(byte) {
            while let b = current, PrototxtTokenizer.isIdentifierPart(b) { advance() }
            return token(.identifier(text(from: start)))
        }
        if PrototxtTokenizer.isDigit(byte) || (byte == UInt8(ascii: ".") && peek(1).map(PrototxtTokenizer.isDigit) == true) {
            return try number(line: startLine, column: startColumn)
        }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            return try string(line: startLine, column: startColumn)
        }
        if PrototxtTokenizer.symbols.contains(byte) {
            advance()
            return token(.symbol(Character(Unicode.Scalar(byte))))
        }
        throw invalidCharacter(line: startLine, column: startColumn)
    }

    // MARK: - Numbers

    /// Reads the longest run that looks like part of a number (so `1.2.3`, `0x`, `3x3`
    /// are reported whole), then checks it against the text-format number grammar.
    private mutating func number(line: Int, column: Int) throws -> PrototxtToken {
        let start = index
        let isHex = current == UInt8(ascii: "0") && (peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X"))
        while let b = current {
            if PrototxtTokenizer.isIdentifierPart(b) || b == UInt8(ascii: ".") {
                advance()
            } else if !isHex, b == UInt8(ascii: "-") || b == UInt8(ascii: "+"),
                      let previous = index > start ? bytes[index - 1] : nil,
                      previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") {
                advance()  // exponent sign, as in 1e-4
            } else {
                break
            }
        }
        let spelling = text(from: start)
        switch PrototxtNumberGrammar.classify(spelling) {
        case .integer(let value):
            return PrototxtToken(kind: .integer(value), line: line, column: column, text: spelling)
        case .float(let value):
            return PrototxtToken(kind: .float(value), line: line, column: column, text: spelling)
        case .invalid(let hint):
            throw error("invalid number '\(PrototxtToken.abbreviate(spelling))'", line: line, column: column, hint: hint)
        }
    }

    // MARK: - Strings

    private mutating func string(line: Int, column: Int) throws -> PrototxtToken {
        let start = index
        guard let quote = current else { throw error("internal: string without quote", line: line, column: column) }
        advance()
        var value: [UInt8] = []
        while true {
            guard let byte = current, byte != UInt8(ascii: "\n") else {
                let q = Character(Unicode.Scalar(quote))
                throw error("unterminated string (missing closing \(q))", line: line, column: column,
                            hint: "strings cannot span lines; close it with \(q) on the same line")
            }
            if byte == quote {
                advance()
                return PrototxtToken(kind: .string(value), line: line, column: column, text: text(from: start))
            }
            if byte == UInt8(ascii: "\\") {
                try escape(into: &value)
            } else {
                value.append(byte)
                advance()
            }
        }
    }

    /// Decodes one C escape (`\n`, `\x41`, `\101`, `\u00e9`, ...) at the current backslash.
    private mutating func escape(into value: inout [UInt8]) throws {
        let escLine = line, escColumn = column
        advance()  // the backslash
        guard let c = current, c != UInt8(ascii: "\n") else {
            return  // the string loop reports the missing closing quote
        }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D,
            UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "v"): 0x0B, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "'"): 0x27,
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "?"): 0x3F,
        ]
        if let byte = simple[c] {
            value.append(byte)
            advance()
            return
        }
        if PrototxtTokenizer.isOctalDigit(c) {
            var code = 0
            var count = 0
            while count < 3, let d = current, PrototxtTokenizer.isOctalDigit(d) {
                code = code * 8 + Int(d - UInt8(ascii: "0"))
                count += 1
                advance()
            }
            guard code <= 0xFF else {
                throw error("octal escape is larger than \\377", line: escLine, column: escColumn)
            }
            value.append(UInt8(code))
            return
        }
        if c == UInt8(ascii: "x") || c == UInt8(ascii: "X") {
            advance()
            let code = hexDigits(max: 2)
            guard let code else {
                throw error("'\\x' must be followed by hex digits", line: escLine, column: escColumn)
            }
            value.append(UInt8(code))
            return
        }
        if c == UInt8(ascii: "u") || c == UInt8(ascii: "U") {
            let width = c == UInt8(ascii: "u") ? 4 : 8
            advance()
            let before = index
            let code = hexDigits(max: width)
            guard let code, index - before == width, let scalar = Unicode.Scalar(UInt32(code)) else {
                throw error("'\\\(Character(Unicode.Scalar(c)))' must be followed by \(width) hex digits naming a Unicode character",
                            line: escLine, column: escColumn)
            }
            value.append(contentsOf: Array(String(Character(scalar)).utf8))
            return
        }
        let shown = String(decoding: [c], as: UTF8.self)
        throw error("invalid escape sequence '\\\(shown)' in string", line: escLine, column: escColumn,
                    hint: "valid escapes: \\n \\t \\r \\\\ \\\" \\' \\xHH \\NNN (octal) \\uHHHH")
    }

    /// Reads up to `max` hex digits; nil if there are none.
    private mutating func hexDigits(max: Int) -> Int? {
        var code = 0
        var count = 0
        while count < max, let d = current, let v = PrototxtTokenizer.hexValue(d) {
            code = code * 16 + v
            count += 1
            advance()
        }
        return count == 0 ? nil : code
    }

    // MARK: - Invalid characters

    private func invalidCharacter(line: Int, column: Int) -> SwiftCaffeError {
        // Decode the whole scalar at this position so the message shows '“', not a byte.
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let scalar = String(decoding: bytes[index..<end], as: UTF8.self).unicodeScalars.first
        let value = scalar?.value ?? UInt32(bytes[index])
        var digits = String(value, radix: 16, uppercase: true)
        if digits.count < 4 { digits = String(repeating: "0", count: 4 - digits.count) + digits }
        let hex = "U+" + digits
        var shown = hex
        if let scalar, value >= 0x20, value != 0x7F, !(0x80..<0xA0).contains(value) {
            shown = "'\(Character(scalar))' (\(hex))"
        }
        var hint: String?
        switch value {
        case 0x201C, 0x201D, 0x2018, 0x2019, 0x00AB, 0x00BB:
            hint = "typographic quotes do not delimit strings; use straight quotes \""
        case 0x00..<0x20, 0x7F:
            hint = "control characters are not allowed; is this a binary file rather than protobuf text format?"
        case UInt32(UInt8(ascii: "=")):
            hint = "fields are written 'name: value', with a colon"
        default:
            break
        }
        return error("invalid character \(shown)", line: line, column: column, hint: hint)
    }

    // MARK: - Character classes

    static let symbols: Set<UInt8> = Set("{}<>[]:,;-+.".utf8)

    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func isOctalDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x37 }

    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return nil
        }
    }

    static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
    }

    static func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }
}
