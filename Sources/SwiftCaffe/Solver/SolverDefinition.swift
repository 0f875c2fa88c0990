import CaffeProto
import Foundation

/// A solver as read from a file: the (upgraded) SolverParameter plus the parsed text,
/// so that a bad value found later ("unknown learning rate policy 'stepp'") can point
/// at the line it came from, as net errors do (`NetDefinition`).
public struct SolverDefinition {
    public var param: Caffe_SolverParameter
    /// The parsed text, for file:line:column positions (nil for solvers made in code).
    public var document: PrototxtDocument?
    /// What loading changed: legacy upgrades, the default snapshot_prefix.
    public var notes: [String]

    public init(param: Caffe_SolverParameter, document: PrototxtDocument? = nil, notes: [String] = []) {
        self.param = param
        self.document = document
        self.notes = notes
    }

    /// The solver file (nil for solvers made in code).
    public var path: String? { document?.file }

    /// Where `field` ("lr_policy", "stepvalue[2]", "test_net[1]") is in the file: the
    /// occurrence itself, else the field's first occurrence, else the file's start (a
    /// required field that is missing). Nil without a document, or if `field` is not a
    /// SolverParameter field (an error from inside a net, which the net locates).
    public func location(ofField field: String) -> SourceLocation? {
        guard let document else { return nil }
        let path = NetDefinition.path(field)
        guard let name = path.first?.0, Self.fields?.field(named: name) != nil else { return nil }
        // `type` may have been written as the legacy `solver_type` enum.
        let spellings = name == "type" ? ["type", "solver_type"] : [name]
        return document.location(path)
            ?? spellings.lazy.compactMap { document.location([($0, 0)]) }.first
            ?? document.start
    }

    /// Runs `body`, adding the solver file's position to a SwiftCaffeError about one of
    /// its fields that has none yet.
    public func locatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as SwiftCaffeError where error.location == nil && error.layer == nil {
            if let field = error.field, let location = location(ofField: field) { error.location = location }
            throw error
        }
    }

    private static let fields = PrototxtSchema.caffe.message(named: Caffe_SolverParameter.protoMessageName)
}

extension Solver {
    /// Reads a solver prototxt (upgrading legacy `solver_type`), keeping its positions.
    /// A missing snapshot_prefix becomes the solver file's path without its extension,
    /// as Caffe does.
    public static func load(path: String) throws -> SolverDefinition {
        let (message, document) = try Prototxt.load(Caffe_SolverParameter.self, path: path)
        var param = message
        var definition = SolverDefinition(param: param, document: document)
        let notes = try definition.locatingErrors { try LegacyUpgrade.upgrade(&param) }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if !param.hasSnapshotPrefix {
            param.snapshotPrefix = (path as NSString).deletingPathExtension
        } else if param.snapshotPrefix.hasSuffix("/") {
            param.snapshotPrefix += stem
        }
        definition.param = param
        definition.notes = notes
        return definition
    }

    /// `load(path:)` without the positions.
    public static func loadParameter(path: String) throws -> (param: Caffe_SolverParameter, notes: [String]) {
        let definition = try load(path: path)
        return (definition.param, definition.notes)
    }

    /// Builds the solver of a file: as `make(param:…)`, and errors about the solver's
    /// fields carry their position in the file; a missing net file's hint looks next to
    /// the solver file.
    public static func make(definition: SolverDefinition, options: BuildOptions = BuildOptions(),
                            random: RandomSource, log: SolverLog) throws -> Solver {
        try definition.locatingErrors {
            try make(param: definition.param, solverFile: definition.path, options: options, random: random, log: log)
        }
    }

    /// Reads the net file `path` that the solver's `field` names. Caffe opens it from the
    /// working directory; users often write it relative to the solver file instead, so
    /// a missing file says where it was looked for and whether it is next to the solver.
    static func loadNet(_ path: String, field: String, solverFile: String?) throws -> NetDefinition {
        let files = FileManager.default
        guard !files.fileExists(atPath: path) else { return try NetDefinition.load(path: path) }
        let name = NetDefinition.path(field).first?.0 ?? field
        if path.hasPrefix("/") {
            throw SwiftCaffeError(.io, "the \(name) file '\(path)' does not exist", field: field)
        }
        var hint = "Caffe resolves \(name) paths from the working directory, not from the solver file's folder"
        if let solverFile {
            let folder = (solverFile as NSString).deletingLastPathComponent
            let candidate = (folder as NSString).appendingPathComponent(path)
            if !folder.isEmpty && folder != "." && files.fileExists(atPath: candidate) {
                hint += "; the file is next to the solver: write '\(name): \"\(candidate)\"'"
            }
        }
        throw SwiftCaffeError(.io, "the \(name) file '\(path)' does not exist relative to the working directory "
                              + "'\(files.currentDirectoryPath)'", field: field, hint: hint)
    }
}
