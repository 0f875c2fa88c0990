import CaffeProto

/// Caffe's "WindowData", R-CNN's fine-tuning input: windows of images listed in a
/// window file (`WindowFile`), split into foreground (overlap ≥ fg_threshold, their
/// class) and background (overlap < bg_threshold, class 0); every batch is
/// batch_size − ⌊batch_size·fg_fraction⌋ background windows then the foreground ones,
/// each drawn at random, grown by context_pad (crop_mode "warp" or "square"), warped to
/// transform_param crop_size, mirrored at random with transform_param mirror, minus the
/// transform's mean_file or mean_value, times the scale (`WindowReader`).
/// Tops: data N × 3 × crop × crop and label N.
///
/// A `PrefetchingDataLayer`: batches are made ahead on the prefetch thread, and each
/// example's draws come from its position, so resuming from a snapshot is exact.
/// `cache_images` keeps every image file's bytes in memory, as Caffe does; image paths
/// are relative to `root_folder`.
public final class WindowDataLayer: PrefetchingDataLayer {
    public required init(param: Caffe_LayerParameter) throws {
        let window = param.windowDataParam
        try super.init(param: param, source: Source(message: "window_data_param", path: window.source,
                                                     kind: "window file", batchSize: window.batchSize,
                                                     randSkip: 0, hint: WindowFile.hint))
        let crop = Int(param.transformParam.cropSize)
        // Caffe 1.0 reads these three from transform_param and ignores them here.
        let legacy = [("crop_size", window.hasCropSize), ("mirror", window.hasMirror), ("mean_file", window.hasMeanFile)]
        if let field = legacy.first(where: { $0.1 })?.0 {
            throw SwiftCaffeError.invalid("window_data_param.\(field)",
                "window_data_param.\(field) has no effect (Caffe reads it from transform_param)",
                hint: "move it into transform_param { \(field): … }")
        }
        guard crop > 0 else {
            throw SwiftCaffeError.invalid("transform_param.crop_size",
                "WindowData needs transform_param crop_size, the side every window is warped to")
        }
        // Caffe reads window_data_param.scale, but its V1 upgrade moves the scale into
        // transform_param: take either, not both.
        guard !(param.transformParam.hasScale && window.hasScale) else {
            throw SwiftCaffeError.invalid("transform_param.scale", "scale is set in both transform_param and window_data_param",
                                          hint: "keep one (Caffe reads window_data_param.scale)")
        }
        guard window.cropMode == "warp" || window.cropMode == "square" else {
            throw SwiftCaffeError.invalid("window_data_param.crop_mode",
                "crop_mode '\(window.cropMode)' is neither \"warp\" nor \"square\"")
        }
        guard 2 * Int(window.contextPad) < crop else {
            throw SwiftCaffeError.invalid("window_data_param.context_pad",
                "context_pad \(window.contextPad) leaves nothing of a \(crop)-pixel crop for the window",
                hint: "keep 2 · context_pad below crop_size (R-CNN: 16 for 227)")
        }
        guard (0...1).contains(window.fgFraction) else {
            throw SwiftCaffeError.invalid("window_data_param.fg_fraction",
                "fg_fraction must be between 0 and 1 (got \(window.fgFraction))")
        }
    }

    public override var topCountRange: ClosedRange<Int> { 2...2 }

    override func openReader(transformer: DataTransformer, skip: Int, seed: UInt64) throws -> any ExampleReader {
        let window = param.windowDataParam, transform = param.transformParam
        let file = try WindowFile(path: window.source, fgThreshold: window.fgThreshold, bgThreshold: window.bgThreshold)
        let settings = WindowReader.Settings(
            batchSize: batchSize, cropSize: Int(transform.cropSize), contextPad: Int(window.contextPad),
            square: window.cropMode == "square", mirror: transform.mirror,
            scale: transform.hasScale ? transform.scale : window.scale,
            fgFraction: window.fgFraction, rootFolder: window.rootFolder, cacheImages: window.cacheImages,
            meanFile: transform.hasMeanFile ? try MeanFile(path: transform.meanFile) : nil,
            meanValues: transform.meanValue)
        return try WindowReader(windows: file, settings: settings)
    }

    override func assumedExampleShape() throws -> (shape: ExampleShape, from: String) {
        guard let square = cropSquare(channels: 3) else {
            throw cannotInferShape("crop_size is not set", hint: nil)
        }
        return square
    }
}
