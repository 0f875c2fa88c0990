import CHDF5
import Foundation

/// An HDF5 file through the library's C API (Debian's libhdf5-dev, serial): what
/// HDF5Data reads (datasets of N rows, read whole as Float32, converting float, double
/// and integer storage as Caffe's `H5LTread_dataset_float` does) and HDF5Output writes
/// (Float32 datasets that grow by rows). Errors name the file and the dataset.
///
/// The serial library is not thread-safe; a file is used by the thread that runs its
/// layer's forward pass.
final class HDF5File {
    let path: String
    private let id: hid_t
    /// Datasets opened for appending, by name.
    private var growing: [String: hid_t] = [:]

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit {
        for dataset in growing.values { H5Dclose(dataset) }
        H5Fclose(id)
    }

    /// Opens an existing file read-only; `what` names it in errors ("HDF5 file").
    static func open(reading path: String, hint: String? = nil) throws -> HDF5File {
        chdf5_silence_errors()
        guard FileManager.default.fileExists(atPath: path) else {
            throw SwiftCaffeError(.io, "HDF5 file '\(path)' does not exist", hint: hint)
        }
        guard H5Fis_hdf5(path) > 0 else {
            throw SwiftCaffeError(.io, "'\(path)' is not an HDF5 file",
                                  hint: "write it with h5py, HDF5's tools or HDF5Output")
        }
        let id = H5Fopen(path, chdf5_acc_rdonly(), chdf5_default())
        guard id >= 0 else { throw SwiftCaffeError(.io, "cannot open HDF5 file '\(path)'", hint: hint) }
        return HDF5File(path: path, id: id)
    }

    /// Creates (or truncates) a file for writing.
    static func create(_ path: String) throws -> HDF5File {
        chdf5_silence_errors()
        let id = H5Fcreate(path, chdf5_acc_trunc(), chdf5_default(), chdf5_default())
        guard id >= 0 else {
            throw SwiftCaffeError(.io, "cannot create HDF5 file '\(path)'",
                                  hint: "check that its folder exists and is writable")
        }
        return HDF5File(path: path, id: id)
    }

    // MARK: Reading

    /// The dimensions of dataset `name`, checking that it exists and holds numbers.
    func shape(of name: String) throws -> [Int] {
        let dataset = try openDataset(name)
        defer { H5Dclose(dataset) }
        return try shape(of: dataset, name: name)
    }

    /// Dataset `name` whole, as Float32, with its dimensions.
    func read(_ name: String) throws -> (shape: [Int], values: [Float]) {
        let dataset = try openDataset(name)
        defer { H5Dclose(dataset) }
        let dims = try shape(of: dataset, name: name)
        let count = dims.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        let status = values.withUnsafeMutableBytes { raw in
            H5Dread(dataset, chdf5_native_float(), chdf5_all(), chdf5_all(), chdf5_default(), raw.baseAddress)
        }
        guard status >= 0 else {
            throw SwiftCaffeError(.io, "cannot read dataset '\(name)' of HDF5 file '\(path)'")
        }
        return (dims, values)
    }

    private func openDataset(_ name: String) throws -> hid_t {
        guard !name.isEmpty, H5Lexists(id, name, chdf5_default()) > 0 else {
            throw SwiftCaffeError(.io, "HDF5 file '\(path)' has no dataset '\(name)'" + datasetList(),
                                  hint: "the tops of an HDF5Data layer are the names of the datasets it reads")
        }
        let dataset = H5Dopen2(id, name, chdf5_default())
        guard dataset >= 0 else {
            throw SwiftCaffeError(.io, "'\(name)' in HDF5 file '\(path)' is not a dataset (a group?)")
        }
        return dataset
    }

    private func shape(of dataset: hid_t, name: String) throws -> [Int] {
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
            throw SwiftCaffeError(.io, "dataset '\(name)' of HDF5 file '\(path)' does not hold numbers "
                                  + "(HDF5 type class \(typeClass.rawValue))",
                                  hint: "store it as float32, float64 or an integer type")
        }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 1 else {
            throw SwiftCaffeError(.io, "dataset '\(name)' of HDF5 file '\(path)' is a scalar",
                                  hint: "HDF5Data reads datasets of N rows: give it at least one dimension")
        }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    /// ": it has 'a', 'b'" — the top-level names, for an error about a missing one.
    private func datasetList() -> String {
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0, info.nlinks > 0, info.nlinks < 50 else { return "" }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, chdf5_default())
            guard length > 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, chdf5_default())
            names.append("'" + String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) + "'")
        }
        return names.isEmpty ? "" : " (it has \(names.joined(separator: ", ")))"
    }

    // MARK: Writing

    /// Appends `rows` rows of `rowShape` (values in row-major order) to the Float32
    /// dataset `name`, creating it (with no rows and an unlimited first dimension) on
    /// the first call. Every call must give the same `rowShape`.
    func append(_ name: String, rowShape: [Int], rows: Int, values: UnsafePointer<Float>) throws {
        let dataset = try growingDataset(name, rowShape: rowShape, chunkRows: max(1, rows))
        let space = H5Dget_space(dataset)
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        H5Sclose(space)
        guard dims.dropFirst().map({ Int($0) }) == rowShape else {
            throw SwiftCaffeError(.semantic, "rows of shape \(Blob.describe(rowShape)) cannot be appended to dataset "
                                  + "'\(name)' of '\(path)', whose rows are \(Blob.describe(dims.dropFirst().map { Int($0) }))")
        }
        let start = dims[0]
        dims[0] += hsize_t(rows)
        guard H5Dset_extent(dataset, dims) >= 0 else {
            throw SwiftCaffeError(.io, "cannot grow dataset '\(name)' of HDF5 file '\(path)'")
        }
        let fileSpace = H5Dget_space(dataset)
        defer { H5Sclose(fileSpace) }
        var offset = [hsize_t](repeating: 0, count: rank)
        offset[0] = start
        var count = dims
        count[0] = hsize_t(rows)
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, offset, nil, count, nil)
        let memorySpace = H5Screate_simple(Int32(rank), count, nil)
        defer { H5Sclose(memorySpace) }
        guard H5Dwrite(dataset, chdf5_native_float(), memorySpace, fileSpace, chdf5_default(), values) >= 0 else {
            throw SwiftCaffeError(.io, "cannot write dataset '\(name)' of HDF5 file '\(path)'",
                                  hint: "check the free space of its disk")
        }
    }

    /// Writes what has been appended to the disk, so readers see every row.
    func flush() throws {
        guard H5Fflush(id, H5F_SCOPE_LOCAL) >= 0 else {
            throw SwiftCaffeError(.io, "cannot flush HDF5 file '\(path)'")
        }
    }

    private func growingDataset(_ name: String, rowShape: [Int], chunkRows: Int) throws -> hid_t {
        if let dataset = growing[name] { return dataset }
        let dims = [hsize_t(0)] + rowShape.map { hsize_t($0) }
        var maxDims = dims
        maxDims[0] = chdf5_unlimited()
        var chunk = dims
        chunk[0] = hsize_t(chunkRows)
        let space = H5Screate_simple(Int32(dims.count), dims, maxDims)
        defer { H5Sclose(space) }
        let properties = H5Pcreate(chdf5_dataset_create())
        defer { H5Pclose(properties) }
        H5Pset_chunk(properties, Int32(chunk.count), chunk)
        let dataset = H5Dcreate2(id, name, chdf5_ieee_f32le(), space, chdf5_default(), properties, chdf5_default())
        guard dataset >= 0 else {
            throw SwiftCaffeError(.io, "cannot create dataset '\(name)' in HDF5 file '\(path)'")
        }
        growing[name] = dataset
        return dataset
    }
}
