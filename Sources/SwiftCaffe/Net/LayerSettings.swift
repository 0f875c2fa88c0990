import CaffeProto
import SwiftProtobuf

/// A layer's settings as flat `path: value` pairs ("convolution_param.group: 2",
/// "param[1].lr_mult: 2", "convolution_param.bias_filler.value: 0.1"), so that two
/// layers of any type can be compared field by field without code per `*_param`.
///
/// The pairs come from the LayerParameter's text format, read back with the
/// project's own parser and typed with caffe.proto's descriptors; a field one layer
/// sets and the other leaves out is compared against the schema's default, which is
/// the value the unset layer really runs with.
public struct LayerSettings: Equatable {
    public struct Setting: Equatable {
        /// Dotted path below LayerParameter; repeated messages are indexed (`param[1]`).
        public var path: String
        /// Normalized text: numbers as `NumberText.format` writes them, enum names,
        /// strings without quotes, repeated scalars as `[a, b]` (one value: just `a`).
        public var value: String
    }

    /// In the order the text format writes them (caffe.proto's field order).
    public private(set) var settings: [Setting]
    /// The schema default of every path in `settings` that has one (what "unset" means).
    private var defaults: [String: String]

    /// Fields that describe wiring or state filtering rather than what the layer computes.
    public static let wiringFields: Set<String> = ["name", "type", "bottom", "top", "phase", "include", "exclude"]

    /// `skipping` top-level fields (by default the wiring ones) are left out.
    public init(_ param: Caffe_LayerParameter, skipping: Set<String> = LayerSettings.wiringFields) {
        settings = []
        defaults = [:]
        // The text format of a message this process built always parses; an empty
        // setting list is the honest answer if it ever did not.
        guard let document = try? Prototxt.parse(text: param.textFormatString(), file: param.name),
              let root = DescriptorIndex.caffe.message("caffe.LayerParameter") else { return }
        flatten(document.root, descriptor: root, prefix: "", skipping: skipping)
    }

    public func value(at path: String) -> String? { settings.first { $0.path == path }?.value }

    /// The paths whose values differ between the layers, each with every layer's value
    /// (the schema default where the layer does not set it; "(unset)" if there is none).
    public static func differences(_ layers: [LayerSettings]) -> [(path: String, values: [String])] {
        var paths: [String] = []
        var seen = Set<String>()
        for layer in layers {
            for setting in layer.settings where seen.insert(setting.path).inserted { paths.append(setting.path) }
        }
        var result: [(path: String, values: [String])] = []
        for path in paths {
            let values = layers.map { layer in
                layer.value(at: path) ?? layers.lazy.compactMap { $0.defaults[path] }.first ?? "(unset)"
            }
            if Set(values).count > 1 { result.append((path, values)) }
        }
        return result
    }

    private mutating func flatten(_ message: PrototxtMessage, descriptor: Google_Protobuf_DescriptorProto,
                                  prefix: String, skipping: Set<String>) {
        var order: [String] = []
        var grouped: [String: [PrototxtValue]] = [:]
        for field in message.fields where !skipping.contains(field.name) {
            if grouped[field.name] == nil { order.append(field.name) }
            if case .list(let elements, _) = field.value {
                grouped[field.name, default: []] += elements
            } else {
                grouped[field.name, default: []].append(field.value)
            }
        }
        for name in order {
            guard let field = descriptor.field.first(where: { $0.name == name }), let values = grouped[name] else { continue }
            let path = prefix + name
            if field.type == .message || field.type == .group {
                guard let child = DescriptorIndex.caffe.message(field.typeName) else { continue }
                for (i, value) in values.enumerated() {
                    guard case .message(let body) = value else { continue }
                    let childPrefix = field.label == .repeated ? "\(path)[\(i)]." : "\(path)."
                    flatten(body, descriptor: child, prefix: childPrefix, skipping: [])
                }
                continue
            }
            let texts = values.map { Self.text(of: $0, field: field) }
            let value = field.label == .repeated && texts.count != 1 ? "[" + texts.joined(separator: ", ") + "]" : texts[0]
            settings.append(Setting(path: path, value: value))
            if let fallback = Self.defaultText(field) { defaults[path] = fallback }
        }
    }

    /// The value an unset field has: the declared default, else the type's zero
    /// (repeated fields: empty). Nil only for fields whose type has no zero we show.
    static func defaultText(_ field: Google_Protobuf_FieldDescriptorProto) -> String? {
        if field.label == .repeated { return "[]" }
        if field.hasDefaultValue {
            switch field.type {
            case .float, .double: return Double(field.defaultValue).map(NumberText.format) ?? field.defaultValue
            default: return field.defaultValue
            }
        }
        switch field.type {
        case .bool: return "false"
        case .string, .bytes: return "\"\""
        case .enum:
            return DescriptorIndex.caffe.enumeration(field.typeName)?.value.first?.name
        case .message, .group: return nil
        default: return "0"
        }
    }

    /// A scalar's text, normalized so that `1`, `1.0` and `1e0` compare equal in a float field.
    static func text(of value: PrototxtValue, field: Google_Protobuf_FieldDescriptorProto) -> String {
        guard case .scalar(let scalar) = value else { return "{…}" }
        switch scalar.value {
        case .float(let number):
            return NumberText.format(scalar.negative ? -number : number)
        case .integer(let integer):
            if field.type == .float || field.type == .double {
                return NumberText.format(scalar.negative ? -integer.doubleValue : integer.doubleValue)
            }
            return (scalar.negative ? "-" : "") + integer.text
        case .identifier(let word):
            return word
        case .string(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "\"\"" : text
        }
    }
}

/// Numbers as people write them in prototxt files: integers without a fraction,
/// others in the shortest form that reads back as the same Float (0.1, 0.0001, 1e-08).
public enum NumberText {
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return Float(value).description
    }
}

/// caffe.proto's message and enum descriptors by full name (with defaults, which the
/// text reader's schema does not keep).
struct DescriptorIndex {
    private var messages: [String: Google_Protobuf_DescriptorProto] = [:]
    private var enums: [String: Google_Protobuf_EnumDescriptorProto] = [:]

    static let caffe = DescriptorIndex(file: CaffeSchema.file)

    init(file: Google_Protobuf_FileDescriptorProto) {
        let prefix = file.package.isEmpty ? "" : file.package + "."
        for message in file.messageType { add(message, prefix: prefix) }
        for enumeration in file.enumType { enums[prefix + enumeration.name] = enumeration }
    }

    func message(_ name: String) -> Google_Protobuf_DescriptorProto? { messages[Self.trimmed(name)] }
    func enumeration(_ name: String) -> Google_Protobuf_EnumDescriptorProto? { enums[Self.trimmed(name)] }

    private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
        let name = prefix + message.name
        messages[name] = message
        for nested in message.nestedType { add(nested, prefix: name + ".") }
        for nested in message.enumType { enums[name + "." + nested.name] = nested }
    }

    private static func trimmed(_ name: String) -> String { name.hasPrefix(".") ? String(name.dropFirst()) : name }
}
