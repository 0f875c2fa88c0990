import CaffeProto
import Foundation

/// Caffe's "ImageData": reads the JPEG or PNG images a list file names ("path label"
/// lines, the label after the last space), decodes them in colour (B, G, R) or, with
/// `is_color: false`, gray, resizes them to new_height × new_width when both are set,
/// transforms them (transform_param: crop, mirror, mean, scale, PCA lighting) and
/// outputs tops data (N × C × H × W) and optionally label (N).
///
/// Paths are relative to `root_folder` (a missing "/" at its end is added: Caffe
/// concatenates blindly, which only ever produces a wrong path). The first example's
/// image fixes the shape; every later image must give the same (crop_size or
/// new_height/new_width make differing images equal). `shuffle` reorders the list at
/// the start and at every epoch, `rand_skip` skips a random number (below rand_skip)
/// of images at the start, both as in Caffe but reproducible from the position, so
/// that resuming from a snapshot continues with the same batches. A background
/// thread prepares `data_param.prefetch` batches ahead (default 4), as for Data.
///
/// For `swiftcaffe summary` (an inspect-only build) a list file that does not exist is
/// not an error: the shape is then assumed from crop_size or new_height/new_width.
public final class ImageDataLayer: Layer, ResumableDataSource {
    public let batchSize: Int
    private var reader: ImageListReader?
    private let feed: PrefetchedFeed

    public required init(param: Caffe_LayerParameter) throws {
        let image = param.imageDataParam
        batchSize = Int(image.batchSize)
        guard batchSize > 0 else {
            throw SwiftCaffeError.invalid("image_data_param.batch_size", "batch_size must be positive (got 0)")
        }
        guard !image.source.isEmpty else {
            throw SwiftCaffeError.invalid("image_data_param.source", "source (the list file) is required",
                                          hint: "the list holds one 'relative/path label' line per image")
        }
        guard (image.newHeight == 0) == (image.newWidth == 0) else {
            throw SwiftCaffeError.invalid(image.newHeight == 0 ? "image_data_param.new_height" : "image_data_param.new_width",
                "new_height and new_width go together (got \(image.newHeight) and \(image.newWidth))",
                hint: "set both to resize every image, or neither to keep the images' own size")
        }
        // Caffe reads these four only in V1 nets (which the upgrade moves into
        // transform_param); in this form it silently ignores them, which is never what
        // the file's author meant.
        let legacy = [("scale", image.hasScale), ("mean_file", image.hasMeanFile),
                      ("crop_size", image.hasCropSize), ("mirror", image.hasMirror)]
        if let field = legacy.first(where: { $0.1 })?.0 {
            throw SwiftCaffeError.invalid("image_data_param.\(field)",
                "image_data_param.\(field) is a legacy field that has no effect here",
                hint: "move it into transform_param { \(field): … }")
        }
        feed = PrefetchedFeed(batchSize: batchSize, dataParam: param.dataParam)
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }

    public var examplesConsumed: Int64 { feed.nextExample }
    public var examplesPerBatch: Int { batchSize }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let image = param.imageDataParam
        if inspectOnly && !FileManager.default.fileExists(atPath: image.source) {
            return  // reshape assumes a shape from crop_size or new_height/new_width
        }
        let transformer = try DataTransformer(param: param.transformParam, phase: phase)
        let randSkip = Int(image.randSkip)
        let skip = randSkip > 0 ? random.nextInt(below: randSkip) : 0
        reader = try ImageListReader(param: image, batchSize: batchSize, transformer: transformer,
                                     seed: random.nextUInt64(), skip: skip)
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if let reader {
            let (c, h, w) = reader.exampleShape
            try top[0].reshape([batchSize, c, h, w])
        } else {
            try reshapeAssumed(top[0])
        }
        if top.count > 1 { try top[1].reshape([batchSize]) }
    }

    /// Inspect-only without the list: the shape the transform or the resize would give.
    private func reshapeAssumed(_ data: Blob) throws {
        let image = param.imageDataParam
        let channels = image.isColor ? 3 : 1
        let crop = Int(param.transformParam.cropSize)
        let missing = "(list file '\(image.source)' not found)"
        if crop > 0 {
            notes.append("'\(param.top[0])' assumed \(channels)x\(crop)x\(crop) from crop_size \(missing)")
            try data.reshape([batchSize, channels, crop, crop])
        } else if image.newHeight > 0 {
            let (h, w) = (Int(image.newHeight), Int(image.newWidth))
            notes.append("'\(param.top[0])' assumed \(channels)x\(h)x\(w) from new_height/new_width \(missing)")
            try data.reshape([batchSize, channels, h, w])
        } else {
            throw shapeError("cannot infer the shape of '\(param.top[0])': the list file '\(image.source)' "
                             + "does not exist and neither transform_param crop_size nor "
                             + "image_data_param new_height/new_width is set",
                             hint: "create the list file first, or set new_height and new_width")
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let reader else {
            throw shapeError("the list file '\(param.imageDataParam.source)' was not read")
        }
        // data: N × C × H × W, label: N.
        try feed.forward(top: top, layer: name) { position in
            reader.seek(to: position)
            return { slot in try reader.fill(data: slot.data, labels: slot.labels) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}

    public func seek(toExample position: Int64) throws {
        feed.seek(to: position)
    }
}
