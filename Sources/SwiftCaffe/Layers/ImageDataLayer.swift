import CaffeProto

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
/// the start and at every epoch, reproducibly from the position, as `rand_skip` and
/// the prefetching are (`PrefetchingDataLayer`), so that resuming from a snapshot
/// continues with the same batches.
///
/// For `swiftcaffe summary` (an inspect-only build) a list file that does not exist is
/// not an error: the shape is then assumed from crop_size or new_height/new_width.
public final class ImageDataLayer: PrefetchingDataLayer {
    public required init(param: Caffe_LayerParameter) throws {
        let image = param.imageDataParam
        try super.init(param: param, source: Source(message: "image_data_param", path: image.source,
                                                     kind: "list file", batchSize: image.batchSize,
                                                     randSkip: image.randSkip, hint: ImageList.hint))
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
    }

    override func openReader(transformer: DataTransformer, skip: Int, seed: UInt64) throws -> any ExampleReader {
        try ImageListReader(param: param.imageDataParam, transformer: transformer, seed: seed, skip: skip)
    }

    /// The shape the transform or the resize would give.
    override func assumedExampleShape() throws -> (shape: ExampleShape, from: String) {
        let image = param.imageDataParam
        let channels = image.isColor ? 3 : 1
        if let square = cropSquare(channels: channels) { return square }
        if image.newHeight > 0 {
            return (ExampleShape(channels: channels, height: Int(image.newHeight), width: Int(image.newWidth)),
                    "new_height/new_width")
        }
        throw cannotInferShape("neither transform_param crop_size nor image_data_param new_height/new_width is set",
                               hint: "create the list file first, or set new_height and new_width")
    }
}
