import CHDF5
import Foundation
import XCTest

/// Writes and reads HDF5 files for tests straight through HDF5's C API, independently of
/// the project's own HDF5 code; and, when python3 with h5py is available, through h5py.
enum HDF5TestFiles {
    enum Storage { case float32, float64, int32 }

    struct Dataset {
        var name: String
        var shape: [Int]
        var values: [Double]
        var storage: Storage = .float32
    }

    /// Creates `url` holding `datasets` (contiguous, stored as their `storage` type).
    static func write(_ datasets: [Dataset], to url: URL) throws {
        chdf5_silence_errors()
        let file = H5Fcreate(url.path, chdf5_acc_trunc(), chdf5_default(), chdf5_default())
        guard file >= 0 else { throw TestFileError("cannot create \(url.path)") }
        defer { H5Fclose(file) }
        for d in datasets {
            precondition(d.shape.reduce(1, *) == d.values.count, "shape and values of '\(d.name)' disagree")
            let dims = d.shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), dims, nil)
            defer { H5Sclose(space) }
            let (fileType, memoryType): (hid_t, hid_t)
            switch d.storage {
            case .float32: (fileType, memoryType) = (chdf5_ieee_f32le(), chdf5_native_float())
            case .float64: (fileType, memoryType) = (chdf5_native_double(), chdf5_native_double())
            case .int32: (fileType, memoryType) = (chdf5_std_i32le(), chdf5_native_int())
            }
            let dataset = H5Dcreate2(file, d.name, fileType, space, chdf5_default(), chdf5_default(), chdf5_default())
            guard dataset >= 0 else { throw TestFileError("cannot create dataset \(d.name)") }
            defer { H5Dclose(dataset) }
            let status: herr_t
            switch d.storage {
            case .float32: status = d.values.map { Float($0) }.withUnsafeBytes { write(dataset, memoryType, $0) }
            case .float64: status = d.values.withUnsafeBytes { write(dataset, memoryType, $0) }
            case .int32: status = d.values.map { Int32($0) }.withUnsafeBytes { write(dataset, memoryType, $0) }
            }
            guard status >= 0 else { throw TestFileError("cannot write dataset \(d.name)") }
        }
    }

    private static func write(_ dataset: hid_t, _ type: hid_t, _ bytes: UnsafeRawBufferPointer) -> herr_t {
        H5Dwrite(dataset, type, chdf5_all(), chdf5_all(), chdf5_default(), bytes.baseAddress)
    }

    /// Dataset `name` of `url`: its dimensions and values (as Float32).
    static func read(_ name: String, from url: URL) throws -> (shape: [Int], values: [Float]) {
        chdf5_silence_errors()
        let file = H5Fopen(url.path, chdf5_acc_rdonly(), chdf5_default())
        guard file >= 0 else { throw TestFileError("cannot open \(url.path)") }
        defer { H5Fclose(file) }
        let dataset = H5Dopen2(file, name, chdf5_default())
        guard dataset >= 0 else { throw TestFileError("no dataset \(name) in \(url.path)") }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        var dims = [hsize_t](repeating: 0, count: Int(H5Sget_simple_extent_ndims(space)))
        H5Sget_simple_extent_dims(space, &dims, nil)
        var values = [Float](repeating: 0, count: dims.reduce(1) { $0 * Int($1) })
        _ = values.withUnsafeMutableBytes {
            H5Dread(dataset, chdf5_native_float(), chdf5_all(), chdf5_all(), chdf5_default(), $0.baseAddress)
        }
        return (dims.map { Int($0) }, values)
    }

    /// A list file naming `files`, one per line, as HDF5Data's source.
    static func writeList(_ files: [URL], to url: URL) throws {
        try (files.map(\.path).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// Runs `script` with python3 if h5py imports; nil when it is not available.
    static func runWithH5py(_ script: String) throws -> String? {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import h5py"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { return nil }
        let run = Process()
        run.executableURL = URL(fileURLWithPath: python)
        run.arguments = ["-c", script]
        let output = Pipe()
        run.standardOutput = output
        try run.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        run.waitUntilExit()
        guard run.terminationStatus == 0 else { throw TestFileError("python3 failed: \(script)") }
        return String(decoding: data, as: UTF8.self)
    }

    struct TestFileError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
