import CaffeProto
import SwiftProtobuf

/// The parts of a `.proto` schema the text reader needs, indexed for lookup.
///
/// Built from descriptors (`CaffeSchema.file`) rather than from the generated Swift
/// types because only descriptors say which names, numbers, types and enum values
/// exist — exactly what "unknown field ... did you mean" needs to know.
struct PrototxtSchema: Sendable {
    struct Field: Sendable {
        var name: String
        var number: Int
        var type: Google_Protobuf_FieldDescriptorProto.TypeEnum
        var isRepeated: Bool
        /// Full name without the leading dot (`caffe.ConvolutionParameter`) for message
        /// and enum fields; empty otherwise.
        var typeName: String
        var oneofIndex: Int?

        /// The type as written in a `.proto` file: `uint32`, `ConvolutionParameter`, `PoolMethod`.
        var typeDescription: String {
            switch type {
            case .message, .enum, .group: return PrototxtSchema.shortName(typeName)
            default: return PrototxtSchema.scalarTypeNames[type] ?? "value"
            }
        }
    }

    struct Message: Sendable {
        var fullName: String
        var fields: [Field]
        var fieldIndex: [String: Int]
        var oneofNames: [String]

        var shortName: String { PrototxtSchema.shortName(fullName) }

        func field(named name: String) -> Field? {
            fieldIndex[name].map { fields[$0] }
        }
    }

    struct Enum: Sendable {
        var fullName: String
        /// In declaration order (the order users see in caffe.proto).
        var values: [(name: String, number: Int32)]
        var numbersByName: [String: Int32]

        var shortName: String { PrototxtSchema.shortName(fullName) }

        func contains(number: Int32) -> Bool {
            values.contains { $0.number == number }
        }
    }

    private(set) var messages: [String: Message] = [:]
    private(set) var enums: [String: Enum] = [:]

    /// The schema of caffe.proto, indexed once.
    static let caffe = PrototxtSchema(files: [CaffeSchema.file])

    init(files: [Google_Protobuf_FileDescriptorProto]) {
        for file in files {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messageType { add(message, prefix: prefix) }
            for enumType in file.enumType { add(enumType, prefix: prefix) }
        }
    }

    func message(named fullName: String) -> Message? {
        messages[PrototxtSchema.trimDot(fullName)]
    }

    func enumeration(named fullName: String) -> Enum? {
        enums[PrototxtSchema.trimDot(fullName)]
    }

    // MARK: - Building

    private mutating func add(_ descriptor: Google_Protobuf_DescriptorProto, prefix: String) {
        let fullName = prefix + descriptor.name
        var fields: [Field] = []
        var index: [String: Int] = [:]
        for f in descriptor.field {
            index[f.name] = fields.count
            fields.append(Field(name: f.name, number: Int(f.number), type: f.type,
                                isRepeated: f.label == .repeated,
                                typeName: PrototxtSchema.trimDot(f.typeName),
                                oneofIndex: f.hasOneofIndex ? Int(f.oneofIndex) : nil))
        }
        messages[fullName] = Message(fullName: fullName, fields: fields, fieldIndex: index,
                                     oneofNames: descriptor.oneofDecl.map(\.name))
        for nested in descriptor.nestedType { add(nested, prefix: fullName + ".") }
        for nested in descriptor.enumType { add(nested, prefix: fullName + ".") }
    }

    private mutating func add(_ descriptor: Google_Protobuf_EnumDescriptorProto, prefix: String) {
        let fullName = prefix + descriptor.name
        let values = descriptor.value.map { (name: $0.name, number: $0.number) }
        var byName: [String: Int32] = [:]
        for value in values { byName[value.name] = value.number }
        enums[fullName] = Enum(fullName: fullName, values: values, numbersByName: byName)
    }

    // MARK: - Names

    static func trimDot(_ name: String) -> String {
        name.hasPrefix(".") ? String(name.dropFirst()) : name
    }

    /// `caffe.PoolingParameter.PoolMethod` → `PoolMethod`.
    static func shortName(_ fullName: String) -> String {
        fullName.split(separator: ".").last.map(String.init) ?? fullName
    }

    static let scalarTypeNames: [Google_Protobuf_FieldDescriptorProto.TypeEnum: String] = [
        .double: "double", .float: "float", .int64: "int64", .uint64: "uint64", .int32: "int32",
        .fixed64: "fixed64", .fixed32: "fixed32", .bool: "bool", .string: "string", .bytes: "bytes",
        .uint32: "uint32", .sfixed32: "sfixed32", .sfixed64: "sfixed64", .sint32: "sint32", .sint64: "sint64",
    ]
}
