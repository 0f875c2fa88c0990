import CaffeProto
import Foundation

/// Caffe's "HDF5Data": reads the HDF5 files a list file names (`hdf5_data_param.source`,
/// one path per line) and outputs one top per dataset, named after it: a dataset of
/// N × d1 × … gives a top of batch_size × d1 × …. Float, double and integer datasets
/// are read as Float32. `shuffle` shuffles the order of the files every pass and the
/// rows of each file whenever it is loaded (`HDF5Source`), reproducibly from the
/// position, so resuming from a snapshot continues with the same rows.
///
/// Like Caffe's layer it holds one file in memory and reads on the forward thread (not
/// a `PrefetchingDataLayer`: its tops are not an image and a label), and it has no
/// transform_param. For `swiftcaffe summary` only the datasets' dimensions are read;
/// without the files the tops take the shapes given with `--data-shape TOP=…` or are
/// left unknown (the layers after them shown with "?").
public final class HDF5DataLayer: Layer, ResumableDataSource {
    public let batchSize: Int
    private var source: HDF5Source?

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.hdf5DataParam
        batchSize = Int(p.batchSize)
        guard batchSize > 0 else {
            throw SwiftCaffeError.invalid("hdf5_data_param.batch_size", "batch_size must be positive (got \(batchSize))")
        }
        guard !p.source.isEmpty else {
            throw SwiftCaffeError.invalid("hdf5_data_param.source", "source (the list file of .h5 paths) is required",
                                          hint: HDF5Source.listHint)
        }
        // Caffe refuses it too: nothing would apply the transform.
        guard !param.hasTransformParam else {
            throw SwiftCaffeError.invalid("transform_param", "HDF5Data does not transform its data",
                                          hint: "scale or crop the data when writing the HDF5 files, and remove transform_param")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }

    public var examplesConsumed: Int64 { source?.position ?? 0 }
    public var examplesPerBatch: Int { batchSize }

    /// Set by the net for an inspect-only build (`--data-shape TOP=…`): per top, the
    /// shape to use when the list file does not exist.
    var givenShapes: [[Int]?] = []
    /// Set by the net: an inspect-only build may leave tops it cannot shape unknown.
    var mayLeaveShapesUnknown = false
    /// After setup without the files: the tops whose shape is not known (left empty).
    private(set) var unknownTops: [Int] = []

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = param.hdf5DataParam
        if inspectOnly && !FileManager.default.fileExists(atPath: p.source) {
            unknownTops = top.indices.filter { $0 >= givenShapes.count || givenShapes[$0] == nil }
            guard unknownTops.isEmpty || mayLeaveShapesUnknown else {
                let names = unknownTops.map { "'\(param.top[$0])'" }.joined(separator: ", ")
                throw shapeError("cannot infer the shape of \(names): the HDF5 list file '\(p.source)' does not exist",
                                 hint: "write the HDF5 files and the list file first, or give the shapes to summary, "
                                     + "draw or time with --data-shape TOP=N,C,H,W")
            }
            for k in unknownTops {
                notes.append("cannot infer the shape of '\(param.top[k])': the HDF5 list file '\(p.source)' does not exist")
            }
            return
        }
        source = try HDF5Source(listPath: p.source, datasets: param.top, shuffle: p.shuffle, seed: random.nextUInt64())
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if let source {
            for j in 0..<top.count { try top[j].reshape([batchSize] + source.rowShapes[j]) }
            return
        }
        for j in 0..<top.count where j < givenShapes.count {
            if let shape = givenShapes[j] { try top[j].reshape(shape) }
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let source else { throw shapeError("the HDF5 list file '\(param.hdf5DataParam.source)' was not read") }
        try source.read(rows: batchSize, into: top)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}

    public func seek(toExample position: Int64) throws {
        try source?.seek(to: position)
    }
}
