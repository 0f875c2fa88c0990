/// The syntax tree of a protobuf text-format file, before any schema is applied.
///
/// It exists so that positions survive parsing: SwiftProtobuf's generated messages
/// forget where each value came from, but the net builder wants to say
/// "models/x.prototxt:41:5: layer 'conv2' ..." long after decoding. The tree is what
/// `PrototxtDocument.location(_:)` answers from.

/// A message body: the fields between `{` and `}` (or the whole file for the root).
public struct PrototxtMessage: Sendable {
    public var fields: [PrototxtField]
    /// Where the opening `{` / `<` is; nil for the root message (the file itself).
    public var open: SourceLocation?

    public init(fields: [PrototxtField], open: SourceLocation?) {
        self.fields = fields
        self.open = open
    }

    /// Every occurrence of `name`, in order, with list elements counted one by one
    /// (`dim: [1, 3]` is two occurrences, like `dim: 1 dim: 3`).
    public func occurrences(of name: String) -> [(location: SourceLocation, value: PrototxtValue)] {
        var result: [(location: SourceLocation, value: PrototxtValue)] = []
        for field in fields where field.name == name {
            if case .list(let elements, _) = field.value {
                for element in elements { result.append((element.location ?? field.location, element)) }
            } else {
                result.append((field.location, field.value))
            }
        }
        return result
    }
}

/// One `name: value` (or `name { ... }`) entry.
public struct PrototxtField: Sendable {
    public var name: String
    /// Position of the field name.
    public var location: SourceLocation
    public var value: PrototxtValue

    public init(name: String, location: SourceLocation, value: PrototxtValue) {
        self.name = name
        self.location = location
        self.value = value
    }
}

public indirect enum PrototxtValue: Sendable {
    case scalar(PrototxtScalar)
    case message(PrototxtMessage)
    /// `[a, b, c]`; `open` is the position of the `[`.
    case list([PrototxtValue], open: SourceLocation)

    /// Where the value starts (the scalar, the `{`, or the `[`).
    public var location: SourceLocation? {
        switch self {
        case .scalar(let scalar): return scalar.location
        case .message(let message): return message.open
        case .list(_, let open): return open
        }
    }
}

/// A single value token, with its sign folded in.
public struct PrototxtScalar: Sendable {
    public enum Value: Equatable, Sendable {
        /// A bare word: an enum value, `true`/`false`, `inf`, `nan`, or a mistake
        /// such as an unquoted string.
        case identifier(String)
        case integer(PrototxtInteger)
        case float(Double)
        /// Escape-processed bytes; adjacent literals ("a" "b") already joined.
        case string([UInt8])
    }

    public var value: Value
    /// True if written with a leading `-`.
    public var negative: Bool
    /// The source spelling including the sign, for messages ("found '-1.5'").
    public var text: String
    public var location: SourceLocation

    public init(value: Value, negative: Bool, text: String, location: SourceLocation) {
        self.value = value
        self.negative = negative
        self.text = text
        self.location = location
    }

    /// The value as shown in a diagnostic: strings keep their quotes, others are quoted.
    var quoted: String {
        if case .string = value { return PrototxtToken.abbreviate(text) }
        return "'\(PrototxtToken.abbreviate(text))'"
    }
}

/// A parsed text-format file: its name and syntax tree, kept next to the decoded
/// message so later stages can point at the line a setting came from.
public struct PrototxtDocument: Sendable {
    public let file: String
    public let root: PrototxtMessage

    public init(file: String, root: PrototxtMessage) {
        self.file = file
        self.root = root
    }

    /// Position of a field occurrence, e.g. `[("layer", 3), ("convolution_param", 0),
    /// ("group", 0)]` = the 4th `layer`, its first `convolution_param`, its `group`.
    /// Occurrence indices count list elements individually. Nil if absent.
    public func location(_ path: [(String, Int)]) -> SourceLocation? {
        var message = root
        for (depth, (name, index)) in path.enumerated() {
            let found = message.occurrences(of: name)
            guard index >= 0, index < found.count else { return nil }
            if depth == path.count - 1 { return found[index].location }
            guard case .message(let child) = found[index].value else { return nil }
            message = child
        }
        return start
    }

    /// Line 1, column 1: for errors about the file as a whole.
    public var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }
}
