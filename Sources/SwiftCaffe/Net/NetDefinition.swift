import CaffeProto

/// A net definition as read from a file: the (upgraded) NetParameter plus what is
/// needed to point at the file when something is wrong with it.
public struct NetDefinition {
    /// The net in modern form (`layer`, `Input` layers), whatever the file used.
    public var param: Caffe_NetParameter
    /// The parsed text, for file:line:column positions (nil for nets made in code).
    public var document: PrototxtDocument?
    /// Per entry of `param.layer`: which field of the file holds it ("layer" or the
    /// legacy "layers", and its index), nil for layers the upgrade created.
    public var layerSources: [(field: String, index: Int)?]
    /// What the legacy upgrade changed ("upgraded V1 layers", …).
    public var upgradeNotes: [String]

    /// Wraps a NetParameter made in code or decoded elsewhere; legacy parts are upgraded.
    public init(param: Caffe_NetParameter, document: PrototxtDocument? = nil) throws {
        var upgraded = param
        let usesV1 = !param.layers.isEmpty
        let hasLegacyInput = !param.input.isEmpty
        upgradeNotes = LegacyUpgrade.needsUpgrade(param) ? try LegacyUpgrade.upgrade(&upgraded) : []
        self.param = upgraded
        self.document = document
        var sources: [(field: String, index: Int)?] = []
        if hasLegacyInput { sources.append(("input", 0)) }
        let count = usesV1 ? param.layers.count : param.layer.count
        sources += (0..<count).map { (usesV1 ? "layers" : "layer", $0) }
        layerSources = sources.count == upgraded.layer.count
            ? sources : Array(repeating: nil, count: upgraded.layer.count)
    }

    /// Reads a net from a prototxt file, with positions for every later error.
    public static func load(path: String) throws -> NetDefinition {
        let (param, document) = try Prototxt.load(Caffe_NetParameter.self, path: path)
        do {
            return try NetDefinition(param: param, document: document)
        } catch var error as SwiftCaffeError {
            if error.location == nil { error.location = document.start }
            throw error
        }
    }

    /// Where layer `index` of `param.layer` is defined, or where its `field`
    /// ("convolution_param.group", "param[1].lr_mult") is, when the file has it.
    public func location(ofLayer index: Int, field: String? = nil) -> SourceLocation? {
        guard let document, index < layerSources.count, let source = layerSources[index] else {
            return document?.start
        }
        let root = [(source.field, source.index)]
        if let field, let fieldLocation = document.location(root + Self.path(field)) {
            return fieldLocation
        }
        return document.location(root)
    }

    /// "a.b[2].c" → [("a", 0), ("b", 2), ("c", 0)].
    static func path(_ dotted: String) -> [(String, Int)] {
        dotted.split(separator: ".").map { part in
            if let open = part.firstIndex(of: "["), let close = part.firstIndex(of: "]"),
               let index = Int(part[part.index(after: open)..<close]) {
                return (String(part[..<open]), index)
            }
            return (String(part), 0)
        }
    }
}
