/// Builds the syntax tree from tokens, knowing nothing of the schema.
///
/// Grammar (Google's text format, as Caffe uses it):
///
///     message := field*
///     field   := name ':' scalar | name ':'? '{' message '}' | name ':'? '<' message '>'
///              | name ':' '[' (value (',' value)*)? ']' | name '[' (msg (',' msg)*)? ']'
///     and any field may be followed by ',' or ';'
///
/// A colon before a message is optional but before a scalar it is required; that is
/// the rule users trip over, so the parser says exactly that. Every error names the
/// token it found and where a still-open brace was opened.
struct PrototxtParser {
    /// Google's parser stops at 100 levels too; the limit keeps recursion (and so the
    /// stack) bounded whatever the input.
    static let maxDepth = 100

    private let tokens: [PrototxtToken]
    private let file: String
    private var position = 0

    init(tokens: [PrototxtToken], file: String) {
        self.tokens = tokens
        self.file = file
    }

    /// Tokenizes and parses `bytes` (valid UTF-8) into the root message.
    static func parse(bytes: [UInt8], file: String) throws -> PrototxtMessage {
        var tokenizer = PrototxtTokenizer(bytes: bytes, file: file)
        var parser = PrototxtParser(tokens: try tokenizer.tokenize(), file: file)
        return try parser.parseRoot()
    }

    mutating func parseRoot() throws -> PrototxtMessage {
        var fields: [PrototxtField] = []
        while true {
            let token = current
            switch token.kind {
            case .endOfFile:
                return PrototxtMessage(fields: fields, open: nil)
            case .symbol("}"), .symbol(">"):
                let opener: Character = token.isSymbol("}") ? "{" : "<"
                throw error("stray '\(token.text)' with no matching '\(opener)'", at: token,
                            hint: "remove it, or look for a missing '\(opener)' earlier")
            default:
                fields.append(try parseField(depth: 0))
            }
        }
    }

    // MARK: - Token access

    private var current: PrototxtToken {
        // tokens always ends with .endOfFile; never index past it.
        tokens[min(position, tokens.count - 1)]
    }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private func error(_ message: String, at token: PrototxtToken, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.syntax, message, location: token.location(in: file), hint: hint)
    }

    private func describe(_ location: SourceLocation) -> String {
        "line \(location.line), column \(location.column)"
    }

    // MARK: - Fields

    private mutating func parseField(depth: Int) throws -> PrototxtField {
        let nameToken = current
        guard case .identifier(let name) = nameToken.kind else {
            if nameToken.isSymbol("[") {
                throw error("extension and Any field names ('[...]') are not supported", at: nameToken,
                            hint: "caffe.proto defines no extensions; write plain field names")
            }
            throw error("expected a field name, found \(nameToken.quoted)", at: nameToken)
        }
        let location = nameToken.location(in: file)
        advance()

        let value: PrototxtValue
        if current.isSymbol(":") {
            advance()
            if current.isSymbol("{") || current.isSymbol("<") {
                value = .message(try parseMessage(fieldName: name, depth: depth + 1))
            } else if current.isSymbol("[") {
                value = try parseList(fieldName: name, depth: depth, requireMessages: false)
            } else {
                value = .scalar(try parseScalar(after: "'\(name):'"))
            }
        } else if current.isSymbol("{") || current.isSymbol("<") {
            value = .message(try parseMessage(fieldName: name, depth: depth + 1))
        } else if current.isSymbol("[") {
            // Without a colon only a list of messages is allowed (as in Google's parser).
            value = try parseList(fieldName: name, depth: depth, requireMessages: true)
        } else {
            throw error("expected ':' after field name '\(name)', found \(current.quoted)", at: current,
                        hint: missingColonHint(name: name))
        }
        if current.isSymbol(",") || current.isSymbol(";") { advance() }
        return PrototxtField(name: name, location: location, value: value)
    }

    private func missingColonHint(name: String) -> String? {
        switch current.kind {
        case .endOfFile, .symbol:
            return nil
        default:
            return "write '\(name): \(PrototxtToken.abbreviate(current.text))'"
        }
    }

    // MARK: - Messages

    private mutating func parseMessage(fieldName: String, depth: Int) throws -> PrototxtMessage {
        let openToken = current
        let closer: Character = openToken.isSymbol("<") ? ">" : "}"
        let open = openToken.location(in: file)
        guard depth <= PrototxtParser.maxDepth else {
            throw error("messages are nested too deeply (more than \(PrototxtParser.maxDepth) levels)", at: openToken)
        }
        advance()
        var fields: [PrototxtField] = []
        while true {
            let token = current
            switch token.kind {
            case .symbol(closer):
                advance()
                return PrototxtMessage(fields: fields, open: open)
            case .endOfFile:
                throw error("unexpected end of file: '\(openToken.text)' opened at \(describe(open)) for field '\(fieldName)' is not closed",
                            at: token, hint: "add '\(closer)' to close '\(fieldName)', or look for a missing '\(closer)' inside it")
            case .symbol("}"), .symbol(">"):
                throw error("expected '\(closer)' to close '\(openToken.text)' opened at \(describe(open)), found \(token.quoted)",
                            at: token)
            default:
                fields.append(try parseField(depth: depth))
            }
        }
    }

    // MARK: - Lists

    private mutating func parseList(fieldName: String, depth: Int, requireMessages: Bool) throws -> PrototxtValue {
        let openToken = current
        let open = openToken.location(in: file)
        advance()  // [
        var elements: [PrototxtValue] = []
        if current.isSymbol("]") {
            advance()
            return .list(elements, open: open)
        }
        while true {
            if current.isSymbol("{") || current.isSymbol("<") {
                elements.append(.message(try parseMessage(fieldName: fieldName, depth: depth + 1)))
            } else if requireMessages {
                throw error("expected ':' after field name '\(fieldName)', found \(openToken.quoted)", at: openToken,
                            hint: "a list of values is written '\(fieldName): [1, 2, 3]'")
            } else if current.kind == .endOfFile {
                throw unclosedList(fieldName: fieldName, open: open)
            } else {
                elements.append(.scalar(try parseScalar(after: "'\(fieldName): ['")))
            }
            if current.isSymbol(",") {
                advance()
            } else if current.isSymbol("]") {
                advance()
                return .list(elements, open: open)
            } else if current.kind == .endOfFile {
                throw unclosedList(fieldName: fieldName, open: open)
            } else {
                throw error("expected ',' or ']' in the list opened at \(describe(open)), found \(current.quoted)",
                            at: current)
            }
        }
    }

    private func unclosedList(fieldName: String, open: SourceLocation) -> SwiftCaffeError {
        error("unexpected end of file: '[' opened at \(describe(open)) for field '\(fieldName)' is not closed",
              at: current, hint: "add ']' to close the list")
    }

    // MARK: - Scalars

    /// A scalar value, with an optional sign; adjacent string literals are joined,
    /// as in C ("abc" "def" == "abcdef").
    private mutating func parseScalar(after context: String) throws -> PrototxtScalar {
        let first = current
        let location = first.location(in: file)
        var negative = false
        var text = ""
        if first.isSymbol("-") || first.isSymbol("+") {
            negative = first.isSymbol("-")
            text = first.text
            advance()
            switch current.kind {
            case .integer, .float, .identifier:
                break
            default:
                throw error("expected a number after '\(first.text)', found \(current.quoted)", at: current)
            }
        }
        let token = current
        let value: PrototxtScalar.Value
        switch token.kind {
        case .identifier(let name): value = .identifier(name)
        case .integer(let integer): value = .integer(integer)
        case .float(let float): value = .float(float)
        case .string(let bytes):
            var joined = bytes
            text += token.text
            advance()
            while case .string(let more) = current.kind {
                joined += more
                text += " " + current.text
                advance()
            }
            return PrototxtScalar(value: .string(joined), negative: false, text: text, location: location)
        case .endOfFile:
            throw error("unexpected end of file: expected a value after \(context)", at: token)
        case .symbol:
            throw error("expected a value after \(context), found \(token.quoted)", at: token)
        }
        text += token.text
        advance()
        return PrototxtScalar(value: value, negative: negative, text: text, location: location)
    }
}
