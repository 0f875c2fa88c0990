import SwiftProtobuf

/// Where a value is going: the schema field, its dotted path and (for errors) the
/// layer it belongs to.
struct PrototxtFieldContext {
    var field: PrototxtSchema.Field
    /// Dotted path of field names from the root, e.g. `layer.convolution_param.num_output`.
    var path: String
    var layer: String?

    var name: String { field.name }
    /// `'num_output' (uint32)`: how the field is named in messages.
    var described: String { "'\(field.name)' (\(field.typeDescription))" }

    func error(_ message: String, at location: SourceLocation?, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.schema, message, location: location, layer: layer, field: path, hint: hint)
    }
}

/// Checks one scalar against its field's type and writes it in wire format.
///
/// Every rejection names the field, its type and the value as written, and where a
/// fix is obvious (missing quotes, extra quotes, `1.0` for an integer) the hint says it.
struct PrototxtScalarEncoder {
    let schema: PrototxtSchema

    func write(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext,
               into writer: inout PrototxtWireWriter) throws {
        let number = context.field.number
        switch context.field.type {
        case .double:
            writer.tag(number, .fixed64)
            writer.fixed64(try floatingValue(scalar, context).bitPattern)
        case .float:
            writer.tag(number, .fixed32)
            writer.fixed32(Float(try floatingValue(scalar, context)).bitPattern)
        case .bool:
            writer.tag(number, .varint)
            writer.varint(try boolValue(scalar, context) ? 1 : 0)
        case .string, .bytes:
            writer.tag(number, .lengthDelimited)
            writer.lengthDelimited(try stringValue(scalar, context))
        case .enum:
            writer.tag(number, .varint)
            writer.varint(UInt64(bitPattern: Int64(try enumValue(scalar, context))))
        case .int32, .int64, .sint32, .sint64, .sfixed32, .sfixed64:
            let value = try signedValue(scalar, context, bits: context.field.type.isThirtyTwoBit ? 32 : 64)
            switch context.field.type {
            case .sint32, .sint64:
                writer.tag(number, .varint)
                writer.varint(PrototxtWireWriter.zigZag(value))
            case .sfixed32:
                writer.tag(number, .fixed32)
                writer.fixed32(UInt32(truncatingIfNeeded: value))
            case .sfixed64:
                writer.tag(number, .fixed64)
                writer.fixed64(UInt64(bitPattern: value))
            default:
                writer.tag(number, .varint)
                writer.varint(UInt64(bitPattern: value))
            }
        case .uint32, .uint64, .fixed32, .fixed64:
            let value = try unsignedValue(scalar, context, bits: context.field.type.isThirtyTwoBit ? 32 : 64)
            switch context.field.type {
            case .fixed32:
                writer.tag(number, .fixed32)
                writer.fixed32(UInt32(truncatingIfNeeded: value))
            case .fixed64:
                writer.tag(number, .fixed64)
                writer.fixed64(value)
            default:
                writer.tag(number, .varint)
                writer.varint(value)
            }
        default:
            throw context.error("field \(context.described) has a type this reader does not support",
                                at: scalar.location)
        }
    }

    // MARK: - Numbers

    private func floatingValue(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext) throws -> Double {
        let sign: Double = scalar.negative ? -1 : 1
        switch scalar.value {
        case .integer(let integer):
            return sign * integer.doubleValue
        case .float(let value):
            return sign * value
        case .identifier(let word):
            switch word.lowercased() {
            case "inf", "infinity": return sign * .infinity
            case "nan": return .nan
            default:
                throw context.error("expected a number for field \(context.described), found \(scalar.quoted)",
                                    at: scalar.location)
            }
        case .string(let bytes):
            throw context.error("expected a number for field \(context.described), found string \(scalar.quoted)",
                                at: scalar.location, hint: removeQuotesHint(bytes, context, ifNumber: true))
        }
    }

    /// The magnitude of an integer literal, or an error naming what was found instead.
    private func integerMagnitude(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext,
                                  range: String) throws -> UInt64 {
        switch scalar.value {
        case .integer(let integer):
            guard let magnitude = integer.magnitude else {
                throw outOfRange(scalar, context, range: range)
            }
            return magnitude
        case .float(let value):
            var hint: String?
            if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
                hint = "write '\(context.name): \(scalar.negative ? "-" : "")\(Int64(value))'"
            }
            throw context.error("expected an integer for field \(context.described), found \(scalar.quoted)",
                                at: scalar.location, hint: hint)
        case .identifier:
            throw context.error("expected an integer for field \(context.described), found \(scalar.quoted)",
                                at: scalar.location)
        case .string(let bytes):
            throw context.error("expected an integer for field \(context.described), found string \(scalar.quoted)",
                                at: scalar.location, hint: removeQuotesHint(bytes, context, ifNumber: true))
        }
    }

    private func signedValue(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext, bits: Int) throws -> Int64 {
        let maxPositive: UInt64 = bits == 32 ? UInt64(Int32.max) : UInt64(Int64.max)
        let range = bits == 32 ? "\(Int32.min) to \(Int32.max)" : "\(Int64.min) to \(Int64.max)"
        let magnitude = try integerMagnitude(scalar, context, range: range)
        if scalar.negative {
            guard magnitude <= maxPositive &+ 1 else { throw outOfRange(scalar, context, range: range) }
            // -(2^63) has no positive counterpart in Int64; build it from the bit pattern.
            return Int64(bitPattern: 0 &- magnitude)
        }
        guard magnitude <= maxPositive else { throw outOfRange(scalar, context, range: range) }
        return Int64(magnitude)
    }

    private func unsignedValue(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext, bits: Int) throws -> UInt64 {
        let maximum: UInt64 = bits == 32 ? UInt64(UInt32.max) : UInt64.max
        let range = "0 to \(maximum)"
        let magnitude = try integerMagnitude(scalar, context, range: range)
        if scalar.negative, magnitude != 0 {
            throw context.error("field \(context.described) cannot be negative, found \(scalar.quoted)",
                                at: scalar.location)
        }
        guard magnitude <= maximum else { throw outOfRange(scalar, context, range: range) }
        return magnitude
    }

    private func outOfRange(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext, range: String) -> SwiftCaffeError {
        context.error("value \(scalar.quoted) is out of range for field '\(context.name)' (\(context.field.typeDescription): \(range))",
                      at: scalar.location)
    }

    // MARK: - Bools and strings

    private func boolValue(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext) throws -> Bool {
        if !scalar.negative {
            switch scalar.value {
            case .identifier("true"), .identifier("True"), .identifier("t"): return true
            case .identifier("false"), .identifier("False"), .identifier("f"): return false
            case .integer(let integer) where integer.magnitude == 0: return false
            case .integer(let integer) where integer.magnitude == 1: return true
            default: break
            }
        }
        var hint: String?
        if case .string(let bytes) = scalar.value {
            let text = String(decoding: bytes, as: UTF8.self)
            if ["true", "false"].contains(text) { hint = "remove the quotes: \(context.name): \(text)" }
        }
        throw context.error("expected true or false for field '\(context.name)' (bool), found \(scalar.quoted)",
                            at: scalar.location, hint: hint)
    }

    private func stringValue(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext) throws -> [UInt8] {
        guard case .string(let bytes) = scalar.value else {
            throw context.error("expected a string for field \(context.described), found \(scalar.quoted)",
                                at: scalar.location,
                                hint: "put the value in double quotes: \(context.name): \"\(scalar.text)\"")
        }
        if context.field.type == .string, PrototxtUTF8.firstInvalidOffset(in: bytes) != nil {
            throw context.error("the value of field \(context.described) is not valid UTF-8", at: scalar.location,
                                hint: "string fields hold text; check the \\x and octal escapes")
        }
        return bytes
    }

    /// "remove the quotes: num_output: 96" when the quoted text is itself a valid value.
    private func removeQuotesHint(_ bytes: [UInt8], _ context: PrototxtFieldContext, ifNumber: Bool) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let body = text.hasPrefix("-") ? String(text.dropFirst()) : text
        guard !body.isEmpty, body.count <= 40 else { return nil }
        if case .invalid = PrototxtNumberGrammar.classify(body) { return nil }
        return "remove the quotes: \(context.name): \(text)"
    }

    // MARK: - Enums

    private func enumValue(_ scalar: PrototxtScalar, _ context: PrototxtFieldContext) throws -> Int32 {
        guard let type = schema.enumeration(named: context.field.typeName) else {
            throw context.error("enum type '\(context.field.typeName)' of field '\(context.name)' is missing from the schema",
                                at: scalar.location)
        }
        let names = type.values.map(\.name)
        let valid = "valid values: " + names.joined(separator: ", ")
        switch scalar.value {
        case .identifier(let word) where !scalar.negative:
            if let number = type.numbersByName[word] { return number }
            let close = Suggest.closest(to: word, among: names)
            let suggestion = close.isEmpty ? "" : "did you mean \(Suggest.quotedList(close))? "
            throw context.error("unknown value '\(word)' for field '\(context.name)' (\(type.shortName))",
                                at: scalar.location, hint: suggestion + valid)
        case .integer(let integer):
            let magnitude = integer.magnitude ?? UInt64.max
            let value: Int64? = scalar.negative
                ? (magnitude <= UInt64(Int32.max) + 1 ? -Int64(magnitude) : nil)
                : (magnitude <= UInt64(Int32.max) ? Int64(magnitude) : nil)
            if let value, let number = Int32(exactly: value), type.contains(number: number) { return number }
            let numbered = type.values.map { "\($0.name) = \($0.number)" }.joined(separator: ", ")
            throw context.error("invalid value \(scalar.quoted) for field '\(context.name)' (\(type.shortName))",
                                at: scalar.location, hint: "valid values: " + numbered)
        case .string(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            var hint = valid
            if type.numbersByName[text] != nil {
                hint = "remove the quotes: \(context.name): \(text)"
            } else {
                let close = Suggest.closest(to: text, among: names)
                if !close.isEmpty { hint = "did you mean \(Suggest.quotedList(close))? " + valid }
            }
            throw context.error("field '\(context.name)' takes an enum value (\(type.shortName)), not a string; found \(scalar.quoted)",
                                at: scalar.location, hint: hint)
        default:
            throw context.error("expected an enum value for field '\(context.name)' (\(type.shortName)), found \(scalar.quoted)",
                                at: scalar.location, hint: valid)
        }
    }
}

extension Google_Protobuf_FieldDescriptorProto.TypeEnum {
    var isThirtyTwoBit: Bool {
        switch self {
        case .int32, .uint32, .sint32, .fixed32, .sfixed32: return true
        default: return false
        }
    }
}
