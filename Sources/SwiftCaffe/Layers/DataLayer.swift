import CaffeProto

/// Reads Datum records from a database, Caffe's "Data". tops: data N × C × H × W
/// and optionally label N.
///
/// Reading LMDB arrives with the data pipeline. Until then the layer can describe
/// its output for `swiftcaffe summary` when the transform names a crop size: it then
/// assumes a colour (3-channel) image and says so in a note.
public final class DataLayer: Layer {
    public let batchSize: Int

    public required init(param: Caffe_LayerParameter) throws {
        batchSize = Int(param.dataParam.batchSize)
        guard batchSize > 0 else {
            throw SwiftCaffeError.invalid("data_param.batch_size", "batch_size must be positive (got \(batchSize))")
        }
        guard !param.dataParam.source.isEmpty else {
            throw SwiftCaffeError.invalid("data_param.source", "source (the database path) is required")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let transform = param.transformParam
        let source = param.dataParam.source
        guard transform.cropSize > 0 else {
            throw shapeError("cannot infer the shape of '\(param.top[0])': reading the database '\(source)' "
                             + "is not supported yet and transform_param has no crop_size")
        }
        let channels = transform.forceGray ? 1 : 3
        let crop = Int(transform.cropSize)
        notes.append("'\(param.top[0])' assumed \(channels)x\(crop)x\(crop) from crop_size "
                     + "(database '\(source)' not read)")
        try top[0].reshape([batchSize, channels, crop, crop])
        if top.count > 1 { try top[1].reshape([batchSize]) }
    }
}
