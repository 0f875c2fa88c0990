import CaffeProto
import Foundation

/// Reading a `.caffemodel` into a net (what `swiftcaffe test`, fine-tuning and
/// resuming do), independent of the solver.
extension Net {
    /// Reads a binary `.caffemodel` (a NetParameter with every layer's blobs). Errors
    /// name the path.
    public static func readWeights(_ path: String) throws -> Caffe_NetParameter {
        if path.hasSuffix(".solverstate") {
            throw SwiftCaffeError(.usage, "'\(path)' is a solver state, not weights",
                                  hint: "resume training from it with Solver.restore(from:); its weights are in the "
                                      + ".caffemodel of the same snapshot")
        }
        let data = try InputFile.read(path, what: "weights file")
        guard !data.isEmpty else { throw SwiftCaffeError(.io, "weights file '\(path)' is empty") }
        do {
            return try Caffe_NetParameter(serializedBytes: data)
        } catch {
            throw SwiftCaffeError(.io, "weights file '\(path)' is truncated or not a binary .caffemodel (\(error))")
        }
    }

    /// Caffe's `CopyTrainedLayersFrom(filename)`: reads the `.caffemodel` at `path` and
    /// copies the blobs of every layer this net also has. Returns the names of the
    /// layers copied.
    @discardableResult
    public func copyTrainedLayers(fromFile path: String) throws -> [String] {
        try copyTrainedLayers(from: Net.readWeights(path), source: "'\(path)'")
    }
}
