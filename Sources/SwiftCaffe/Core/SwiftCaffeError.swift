/// The one error type users see. It says where (a file position, a layer, a field),
/// what went wrong, and, when we know, what to do about it.
///
/// Printed form, one line per part that is present:
///
///     models/x.prototxt:12:5: error: unknown field 'kernal_size' in ConvolutionParameter
///       layer 'conv1', field 'convolution_param.kernal_size'
///       hint: did you mean 'kernel_size'?
public struct SwiftCaffeError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// The text could not be read as protobuf text format.
        case syntax
        /// The text is well-formed but names a field, enum value or type that doesn't exist,
        /// or gives a value of the wrong type.
        case schema
        /// The net or solver is well-formed but cannot be built (shapes, counts, wiring).
        case semantic
        /// A file could not be read, written or decoded.
        case io
        /// A command line was used wrongly.
        case usage
    }

    public var kind: Kind
    public var message: String
    public var location: SourceLocation?
    public var layer: String?
    public var field: String?
    public var hint: String?

    public init(_ kind: Kind, _ message: String, location: SourceLocation? = nil,
                layer: String? = nil, field: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.layer = layer
        self.field = field
        self.hint = hint
    }

    public var description: String {
        var first = ""
        if let location { first += "\(location): " }
        first += "error: \(message)"
        var lines = [first]
        var context: [String] = []
        if let layer { context.append("layer '\(layer)'") }
        if let field { context.append("field '\(field)'") }
        if !context.isEmpty { lines.append("  " + context.joined(separator: ", ")) }
        if let hint { lines.append("  hint: \(hint)") }
        return lines.joined(separator: "\n")
    }

    /// Returns a copy that also names a layer (and source position) — used when an error
    /// raised deep inside a layer's shape check travels up through the net builder.
    public func inLayer(_ name: String, at location: SourceLocation?) -> SwiftCaffeError {
        var copy = self
        if copy.layer == nil { copy.layer = name }
        if copy.location == nil { copy.location = location }
        return copy
    }
}

extension SwiftCaffeError {
    /// A bad value in a layer's or solver's parameter `field` (dotted path, e.g.
    /// "pooling_param.kernel_size"). The net adds the layer name and file position.
    public static func invalid(_ field: String, _ message: String, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.semantic, message, field: field, hint: hint)
    }

    /// Layers offer an `engine` choice; only Caffe's default and CAFFE run here (no GPU).
    /// `requested` is whether the file asks for the CUDNN engine.
    public static func rejectCUDNN(_ requested: Bool, field: String) throws {
        if requested {
            throw invalid(field, "the CUDNN engine is not available on the CPU", hint: "remove 'engine: CUDNN'")
        }
    }
}
