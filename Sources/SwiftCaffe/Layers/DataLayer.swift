import CaffeProto

/// Caffe's "Data": reads Datum records from an LMDB in key order (looping),
/// transforms them (transform_param: crop, mirror, mean, scale, PCA lighting) and
/// outputs tops data (N × C × H × W) and optionally label (N).
///
/// The shape comes from the database's first record (decoded, if encoded) and the
/// crop. Prefetching, rand_skip and resuming are `PrefetchingDataLayer`'s. For
/// `swiftcaffe summary` (an inspect-only build) a database that does not exist is not
/// an error: the shape is then assumed from crop_size (3 channels) with a note.
public final class DataLayer: PrefetchingDataLayer {
    public required init(param: Caffe_LayerParameter) throws {
        let data = param.dataParam
        try super.init(param: param, source: Source(message: "data_param", path: data.source, kind: "database",
                                                     batchSize: data.batchSize, randSkip: data.randSkip))
        if data.hasBackend && data.backend == .leveldb {
            throw SwiftCaffeError.invalid("data_param.backend", "LevelDB databases are not supported",
                                          hint: "convert the data to LMDB and set 'backend: LMDB'")
        }
    }

    override func openReader(transformer: DataTransformer, skip: Int, seed: UInt64) throws -> any ExampleReader {
        try DatumReader(path: param.dataParam.source, transformer: transformer, skip: skip)
    }

    override func assumedExampleShape() throws -> (shape: ExampleShape, from: String) {
        if let square = cropSquare(channels: param.transformParam.forceGray ? 1 : 3) { return square }
        throw cannotInferShape("transform_param has no crop_size",
                               hint: "create the database first (convert-imageset or convert-mnist)")
    }
}
