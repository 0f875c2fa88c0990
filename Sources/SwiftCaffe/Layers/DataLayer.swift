import CaffeProto
import Foundation

/// Layers that read a dataset in order and can be put back to a position, so that
/// resuming from a snapshot continues with the very batches the run would have seen.
public protocol ResumableDataSource: AnyObject {
    /// Examples this layer has handed to the net since it started.
    var examplesConsumed: Int64 { get }
    /// Examples per forward pass.
    var examplesPerBatch: Int { get }
    /// Makes the next forward pass start with example number `position`.
    func seek(toExample position: Int64) throws
}

/// Caffe's "Data": reads Datum records from an LMDB, transforms them
/// (transform_param: crop, mirror, mean, scale, PCA lighting) and outputs
/// tops data (N × C × H × W) and optionally label (N).
///
/// The shape comes from the database's first record (decoded, if encoded) and the
/// crop. A background thread prepares `data_param.prefetch` batches ahead (default 4),
/// so the solver never waits on reading or decoding. `rand_skip` skips a random
/// number (below rand_skip) of records at the start, as in Caffe.
///
/// For `swiftcaffe summary` (an inspect-only build) a database that does not exist is
/// not an error: the shape is then assumed from crop_size (3 channels) with a note.
public final class DataLayer: Layer, ResumableDataSource {
    public let batchSize: Int
    private var reader: DatumBatchReader?
    private let feed: PrefetchedFeed

    public required init(param: Caffe_LayerParameter) throws {
        batchSize = Int(param.dataParam.batchSize)
        guard batchSize > 0 else {
            throw SwiftCaffeError.invalid("data_param.batch_size", "batch_size must be positive (got \(batchSize))")
        }
        guard !param.dataParam.source.isEmpty else {
            throw SwiftCaffeError.invalid("data_param.source", "source (the database path) is required")
        }
        if param.dataParam.hasBackend && param.dataParam.backend == .leveldb {
            throw SwiftCaffeError.invalid("data_param.backend", "LevelDB databases are not supported",
                                          hint: "convert the data to LMDB and set 'backend: LMDB'")
        }
        feed = PrefetchedFeed(batchSize: batchSize, dataParam: param.dataParam)
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }

    public var examplesConsumed: Int64 { feed.nextExample }
    public var examplesPerBatch: Int { batchSize }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let source = param.dataParam.source
        if inspectOnly && !FileManager.default.fileExists(atPath: source) {
            return  // reshape assumes a shape from crop_size
        }
        let transformer = try DataTransformer(param: param.transformParam, phase: phase)
        let mode = transformer.decodeMode
        let database = try LMDBDatabase(path: source, mode: .read)
        // The first record fixes the shape (Caffe's DataLayerSetUp).
        let cursor = try database.makeCursor()
        guard let (key, datum) = try cursor.nextDatum() else {
            throw SwiftCaffeError(.io, "LMDB database '\(source)' is empty", layer: name,
                                  hint: "convert some data into it with convert-imageset or convert-mnist")
        }
        cursor.close()
        let recordName = "record '\(key)' of '\(source)'"
        let pixels = try DatumPixels(datum, source: recordName, mode: mode)
        let shape = try transformer.outputShape(channels: pixels.channels, height: pixels.height,
                                                width: pixels.width, source: recordName)
        let randSkip = Int(param.dataParam.randSkip)
        let skip = randSkip > 0 ? random.nextInt(below: randSkip) : 0
        reader = DatumBatchReader(database: database, batchSize: batchSize, exampleShape: shape,
                                  transformer: transformer, decodeMode: mode,
                                  seed: random.nextUInt64(), skip: skip)
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if let reader {
            let (c, h, w) = reader.exampleShape
            try top[0].reshape([batchSize, c, h, w])
        } else {
            // Inspect-only without the database: assume from crop_size.
            let transform = param.transformParam
            let source = param.dataParam.source
            guard transform.cropSize > 0 else {
                throw shapeError("cannot infer the shape of '\(param.top[0])': the database '\(source)' "
                                 + "does not exist and transform_param has no crop_size",
                                 hint: "create the database first (convert-imageset or convert-mnist)")
            }
            let channels = transform.forceGray ? 1 : 3
            let crop = Int(transform.cropSize)
            notes.append("'\(param.top[0])' assumed \(channels)x\(crop)x\(crop) from crop_size "
                         + "(database '\(source)' not found)")
            try top[0].reshape([batchSize, channels, crop, crop])
        }
        if top.count > 1 { try top[1].reshape([batchSize]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let reader else {
            throw shapeError("the database '\(param.dataParam.source)' was not opened")
        }
        // data: N × C × H × W, label: N.
        try feed.forward(top: top, layer: name) { position in
            try reader.seek(to: position)
            return { slot in try reader.fill(data: slot.data, labels: slot.labels) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}

    public func seek(toExample position: Int64) throws {
        feed.seek(to: position)
    }
}
