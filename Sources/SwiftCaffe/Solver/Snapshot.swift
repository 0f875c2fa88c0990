import CaffeProto
import Foundation
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Caffe's snapshot files: `<prefix>_iter_<N>.caffemodel` (a binary NetParameter with
/// every layer's blobs, `Net.toProto()`; read with `Net.readWeights`) and `<prefix>_iter_<N>.solverstate` (a binary
/// SolverState: iter, learned_net, history, current_step, plus SwiftCaffe's rng_state
/// and plateau_state). Both are written atomically (`AtomicFile`), model first, so a
/// solverstate under its final name always has its complete model next to it.
public enum Snapshot {
    public static func fileName(prefix: String, iter: Int, extension ext: String) -> String {
        "\(prefix)_iter_\(iter)\(ext)"
    }

    /// Creates the snapshot directory if needed and proves it is writable by creating
    /// and removing a probe file — at start, so a bad prefix fails before iteration 0.
    public static func checkWritable(prefix: String) throws {
        let directory = URL(fileURLWithPath: prefix + "_").deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SwiftCaffeError(.io, "cannot create the snapshot directory '\(directory)' for snapshot_prefix '\(prefix)'",
                                  field: "snapshot_prefix", hint: "make sure the directory can be created and written")
        }
        let probe = directory + "/.swiftcaffe-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SwiftCaffeError(.io, "cannot write to snapshot prefix '\(prefix)': \(reason)",
                                  field: "snapshot_prefix",
                                  hint: "make sure that the directory '\(directory)' exists and is writable")
        }
        close(fd)
        unlink(probe)
        removeStaleTemporaries(prefix: prefix)
    }

    /// Removes temporary snapshot files (`.<name>_iter_<N>.<ext>.tmp-<pid>`, see
    /// `AtomicFile`) left by a run of this prefix that was killed mid-write: those whose
    /// process no longer exists. Their final names were never touched.
    public static func removeStaleTemporaries(prefix: String) {
        let url = URL(fileURLWithPath: prefix + "_")
        let directory = url.deletingLastPathComponent().path
        let base = "." + String(url.lastPathComponent.dropLast()) + "_iter_"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(base) {
            guard let range = name.range(of: ".tmp-", options: .backwards),
                  let pid = Int32(name[range.upperBound...]) else { continue }
            if AtomicFile.isAbandoned(byProcess: pid) { unlink(directory + "/" + name) }
        }
    }

    /// Reads and decodes a `.solverstate`. Errors name the path.
    public static func readState(_ path: String) throws -> Caffe_SolverState {
        if path.hasSuffix(".caffemodel") {
            throw SwiftCaffeError(.usage, "'\(path)' is a model (weights), not a solver state",
                                  hint: "start from its weights with Net.readWeights and copyTrainedLayers(from:)")
        }
        let data = try InputFile.read(path, what: "solver state")
        guard !data.isEmpty else { throw SwiftCaffeError(.io, "solver state '\(path)' is empty (truncated?)") }
        let state: Caffe_SolverState
        do {
            state = try Caffe_SolverState(serializedBytes: data)
        } catch {
            throw SwiftCaffeError(.io, "solver state '\(path)' is truncated or corrupt: \(error)")
        }
        guard state.hasIter, state.iter >= 0 else {
            throw SwiftCaffeError(.io, "solver state '\(path)' has no iteration number (truncated or not a .solverstate)")
        }
        return state
    }

    /// The model a solverstate names: `learned_net` as written, or, when that path no
    /// longer exists (the snapshots were moved), the same file name next to the state.
    public static func resolveLearnedNet(_ learnedNet: String, statePath: String) throws -> String {
        if FileManager.default.fileExists(atPath: learnedNet) { return learnedNet }
        let beside = URL(fileURLWithPath: statePath).deletingLastPathComponent()
            .appendingPathComponent(URL(fileURLWithPath: learnedNet).lastPathComponent).path
        if FileManager.default.fileExists(atPath: beside) { return beside }
        throw SwiftCaffeError(.io, "the solver state '\(statePath)' names the model '\(learnedNet)', which does not exist",
                              hint: "put the .caffemodel written with it at '\(beside)'")
    }

    /// rng_state bytes: the RandomSource's saved words, little-endian.
    static func encode(random: RandomSource) -> Data {
        var data = Data()
        for word in random.savedState {
            withUnsafeBytes(of: word.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decodeRandomState(_ data: Data) -> [UInt64]? {
        guard data.count % 8 == 0 else { return nil }
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count, by: 8).map { start in
            var word: UInt64 = 0
            for b in 0..<8 { word |= UInt64(bytes[start + b]) << (8 * UInt64(b)) }
            return word
        }
    }
}
