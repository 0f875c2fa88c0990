import SwiftCaffe

/// --weights of `train` and `test`, checked in `validate()` before anything is built.
enum WeightsFlag {
    /// A usage error for the first .solverstate among `files`; `hint(file)` says what to do instead.
    static func requireModels(_ files: [String], hint: (_ file: String) -> String) throws {
        for file in files where file.hasSuffix(".solverstate") {
            throw SwiftCaffeError(.usage, "--weights expects .caffemodel files, but '\(file)' is a solver state",
                                  hint: hint(file))
        }
    }
}
