/// Checks a syntax tree against a message type of the schema and writes it as
/// protobuf binary.
///
/// This is where schema mistakes are caught, each at the token that causes it:
/// unknown fields (with "did you mean" and "belongs inside"), a non-repeated field
/// set twice, a list for a single field, a message where a value belongs and the
/// reverse. Scalars are checked by `PrototxtScalarEncoder`.
struct PrototxtMessageEncoder {
    let schema: PrototxtSchema
    private let scalars: PrototxtScalarEncoder

    init(schema: PrototxtSchema) {
        self.schema = schema
        self.scalars = PrototxtScalarEncoder(schema: schema)
    }

    /// Wire bytes of `message` as an instance of `type`.
    /// - Parameters:
    ///   - path: field names from the root to this message, for the errors' `field`.
    ///   - layer: name of the enclosing Caffe layer, if any, for the errors' `layer`.
    func encode(_ message: PrototxtMessage, as type: PrototxtSchema.Message,
                path: [String] = [], layer: String? = nil) throws -> [UInt8] {
        var writer = PrototxtWireWriter()
        var firstSeen: [String: SourceLocation] = [:]
        var oneofSeen: [Int: String] = [:]
        for entry in message.fields {
            let fieldPath = (path + [entry.name]).joined(separator: ".")
            guard let field = type.field(named: entry.name) else {
                throw unknownField(entry, in: type, path: fieldPath, layer: layer)
            }
            var context = PrototxtFieldContext(field: field, path: fieldPath, layer: layer)
            if field.isLayer, case .message(let body) = entry.value {
                context.layer = PrototxtMessageEncoder.layerName(in: body) ?? layer
            }

            if !field.isRepeated {
                if let first = firstSeen[field.name] {
                    let place = first.line == entry.location.line
                        ? "line \(first.line), column \(first.column)" : "line \(first.line)"
                    throw context.error("field '\(field.name)' is set twice (first at \(place)); it is not repeated",
                                        at: entry.location)
                }
                firstSeen[field.name] = entry.location
                if let oneof = field.oneofIndex {
                    if let other = oneofSeen[oneof] {
                        let group = oneof < type.oneofNames.count ? type.oneofNames[oneof] : "oneof"
                        throw context.error("fields '\(other)' and '\(field.name)' are both set, but they belong to oneof '\(group)' and only one may be",
                                            at: entry.location)
                    }
                    oneofSeen[oneof] = field.name
                }
            }

            switch entry.value {
            case .list(let elements, let open):
                guard field.isRepeated else {
                    throw context.error("field \(context.described) is not repeated; it takes one value, not a list",
                                        at: open)
                }
                for element in elements {
                    var elementContext = context
                    if field.isLayer, case .message(let body) = element {
                        elementContext.layer = PrototxtMessageEncoder.layerName(in: body) ?? layer
                    }
                    try write(element, elementContext, path: path + [entry.name], into: &writer)
                }
            default:
                try write(entry.value, context, path: path + [entry.name], into: &writer)
            }
        }
        return writer.bytes
    }

    private func write(_ value: PrototxtValue, _ context: PrototxtFieldContext, path: [String],
                       into writer: inout PrototxtWireWriter) throws {
        let field = context.field
        switch (value, field.type) {
        case (.message(let body), .message):
            guard let type = schema.message(named: field.typeName) else {
                throw context.error("message type '\(field.typeName)' of field '\(field.name)' is missing from the schema",
                                    at: body.open)
            }
            let bytes = try encode(body, as: type, path: path, layer: context.layer)
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(bytes)
        case (.message(let body), _):
            throw context.error("field \(context.described) takes a single value, not a message", at: body.open,
                                hint: "write '\(field.name): <value>'")
        case (.scalar(let scalar), .message):
            throw context.error("field '\(field.name)' is a message (\(field.typeDescription)); expected '{' after it, found \(scalar.quoted)",
                                at: scalar.location, hint: "write '\(field.name) { ... }'")
        case (.scalar(let scalar), _):
            try scalars.write(scalar, context, into: &writer)
        case (.list(_, let open), _):
            // The parser never nests lists; kept total so odd trees fail cleanly.
            throw context.error("a list cannot contain another list", at: open)
        }
    }

    // MARK: - Unknown fields

    /// "unknown field 'kernal_size' in ConvolutionParameter" with the most useful hint:
    /// where the field really belongs, the closest names, or the list of valid names.
    private func unknownField(_ entry: PrototxtField, in type: PrototxtSchema.Message,
                              path: String, layer: String?) -> SwiftCaffeError {
        let names = type.fields.map(\.name)
        var parts: [String] = []
        let owners = type.fields.filter { field in
            field.type == .message && schema.message(named: field.typeName)?.field(named: entry.name) != nil
        }.map(\.name)
        if !owners.isEmpty {
            parts.append("'\(entry.name)' belongs inside \(Suggest.plainList(owners))")
        }
        let close = Suggest.closest(to: entry.name, among: names)
        if !close.isEmpty {
            parts.append("did you mean \(Suggest.quotedList(close))?")
        }
        if parts.isEmpty {
            if names.count <= 12 {
                parts.append("valid fields: " + names.joined(separator: ", "))
            } else {
                parts.append("\(type.shortName) has \(names.count) fields; see 'message \(type.shortName)' in caffe.proto")
            }
        }
        return SwiftCaffeError(.schema, "unknown field '\(entry.name)' in \(type.shortName)",
                               location: entry.location, layer: layer, field: path,
                               hint: parts.joined(separator: "; "))
    }

    // MARK: - Layer names

    /// The `name: "..."` of a layer body, so errors inside it can say which layer.
    static func layerName(in body: PrototxtMessage) -> String? {
        for field in body.fields where field.name == "name" {
            if case .scalar(let scalar) = field.value, case .string(let bytes) = scalar.value {
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        return nil
    }
}

extension PrototxtSchema.Field {
    /// A Caffe layer (modern `layer` or V1 `layers`): errors inside it name the layer.
    var isLayer: Bool {
        typeName == "caffe.LayerParameter" || typeName == "caffe.V1LayerParameter"
    }
}
