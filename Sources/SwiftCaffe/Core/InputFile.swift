import Foundation

/// Reading a whole input file (an image list, weights, a solver state), with errors that
/// tell a missing file from an unreadable one and say what the file was meant to be.
enum InputFile {
    /// The bytes of `path`; `what` names the file in errors ("weights file").
    static func read(_ path: String, what: String, hint: String? = nil) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SwiftCaffeError(.io, "\(what) '\(path)' does not exist", hint: hint)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SwiftCaffeError(.io, "cannot read \(what) '\(path)'", hint: hint)
        }
        return data
    }
}
