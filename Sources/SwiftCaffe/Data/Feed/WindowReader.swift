import CaffeProto
import Foundation

/// What WindowData reads (`ExampleReader`): example k of a batch is a window drawn at
/// random — background for the first `batch_size − ⌊batch_size·fg_fraction⌋` items of
/// every batch, foreground for the rest, as Caffe's `load_batch` — cut from its image,
/// warped to crop_size × crop_size and written as (pixel − mean) · scale, B, G, R planes.
///
/// Warping follows Caffe: with context_pad > 0 or crop_mode "square" the window is
/// first grown (square mode: to a square of its longer side; by crop/(crop − 2·pad) so
/// that context_pad pixels of context surround it after warping), then clipped to the
/// image; the clipped part is warped at the scale of the whole grown window and placed
/// where it belongs, the parts outside the image staying 0. Mirroring flips the warped
/// window (and its padding). Resampling is OpenCV's INTER_LINEAR (`Image8.resized`).
final class WindowReader: ExampleReader {
    struct Settings {
        var batchSize: Int
        var cropSize: Int
        var contextPad: Int
        var square: Bool
        var mirror: Bool
        var scale: Float
        var fgFraction: Float
        var rootFolder: String
        var cacheImages: Bool
        var meanFile: MeanFile?
        var meanValues: [Float]
    }

    let windows: WindowFile
    let settings: Settings
    let exampleShape: ExampleShape
    private let backgroundPerBatch: Int
    private let prefix: String
    /// The encoded bytes of every image, with cache_images (Caffe caches them the same way).
    private var cache: [[UInt8]] = []

    init(windows: WindowFile, settings: Settings) throws {
        self.windows = windows
        self.settings = settings
        exampleShape = ExampleShape(channels: 3, height: settings.cropSize, width: settings.cropSize)
        let foregroundPerBatch = Int(Float(settings.batchSize) * settings.fgFraction)
        backgroundPerBatch = settings.batchSize - foregroundPerBatch
        prefix = ImageList.prefix(root: settings.rootFolder)
        if foregroundPerBatch > 0 && windows.foreground.isEmpty {
            throw SwiftCaffeError.invalid("window_data_param.fg_fraction",
                "fg_fraction asks for \(foregroundPerBatch) foreground windows per batch, but the window file "
                    + "'\(windows.path)' has none (overlap ≥ fg_threshold)",
                hint: "lower fg_threshold, or set fg_fraction to 0")
        }
        if backgroundPerBatch > 0 && windows.background.isEmpty {
            throw SwiftCaffeError.invalid("window_data_param.fg_fraction",
                "a batch takes \(backgroundPerBatch) background windows, but the window file "
                    + "'\(windows.path)' has none (overlap < bg_threshold)",
                hint: "raise bg_threshold, or set fg_fraction to 1")
        }
        if let mean = settings.meanFile {
            guard mean.shape.channels == 3, mean.shape.height >= settings.cropSize,
                  mean.shape.width >= settings.cropSize else {
                throw SwiftCaffeError.invalid("transform_param.mean_file",
                    "the mean file '\(mean.path)' is \(mean.shape); WindowData needs 3 channels of at least "
                        + "crop_size \(settings.cropSize) × \(settings.cropSize)")
            }
        }
        guard settings.meanValues.count <= 1 || settings.meanValues.count == 3 else {
            throw SwiftCaffeError.invalid("transform_param.mean_value",
                "\(settings.meanValues.count) mean_value entries for 3 channels", hint: "give one, or one per channel")
        }
        if settings.cacheImages {
            cache = try windows.images.map { [UInt8](try InputFile.read(prefix + $0.path, what: "image", hint: nil)) }
        }
    }

    func seek(to position: Int64) throws {}

    /// Examples are drawn from their position: nothing to pass over.
    func skip(_ count: Int64, to position: Int64) {}

    func readExample(_ position: Int64, into output: UnsafeMutablePointer<Float>, random: RandomSource) throws -> Float {
        let item = Int(position % Int64(settings.batchSize))
        let pool = item < backgroundPerBatch ? windows.background : windows.foreground
        let window = pool[random.nextInt(below: pool.count)]
        let mirror = settings.mirror && random.nextUInt64() & 1 == 1
        let entry = windows.images[window.image]
        let path = prefix + entry.path
        let bytes = settings.cacheImages ? cache[window.image]
            : [UInt8](try InputFile.read(path, what: "image", hint: "'\(windows.path)' line \(window.line) uses it"))
        let image = try ImageCodec.decode(bytes, mode: .color, source: path)
        try warp(window, of: image, path: path, mirror: mirror, into: output)
        return Float(window.label)
    }

    /// Where the window lands in the crop: the region of the image to cut, the size to
    /// warp it to and its offset in the crop. Caffe's arithmetic, in Float as Caffe's Dtype.
    struct Placement: Equatable {
        var x1: Int, y1: Int, x2: Int, y2: Int
        var warpedWidth: Int, warpedHeight: Int
        var padLeft: Int, padTop: Int
    }

    static func placement(x1: Int, y1: Int, x2: Int, y2: Int, imageWidth: Int, imageHeight: Int,
                          cropSize: Int, contextPad: Int, square: Bool, mirror: Bool) -> Placement {
        var p = Placement(x1: x1, y1: y1, x2: x2, y2: y2, warpedWidth: cropSize, warpedHeight: cropSize,
                          padLeft: 0, padTop: 0)
        guard contextPad > 0 || square else { return p }
        let crop = Float(cropSize)
        let contextScale = crop / (crop - 2 * Float(contextPad))
        var halfHeight = Float(y2 - y1 + 1) / 2
        var halfWidth = Float(x2 - x1 + 1) / 2
        let centerX = Float(x1) + halfWidth, centerY = Float(y1) + halfHeight
        if square {
            if halfHeight > halfWidth { halfWidth = halfHeight } else { halfHeight = halfWidth }
        }
        p.x1 = Int((centerX - halfWidth * contextScale).rounded())
        p.x2 = Int((centerX + halfWidth * contextScale).rounded())
        p.y1 = Int((centerY - halfHeight * contextScale).rounded())
        p.y2 = Int((centerY + halfHeight * contextScale).rounded())
        // The grown window may leave the image: clip it, remembering by how much.
        let unclippedHeight = p.y2 - p.y1 + 1, unclippedWidth = p.x2 - p.x1 + 1
        let outLeft = max(0, -p.x1), outTop = max(0, -p.y1)
        let outRight = max(0, p.x2 - imageWidth + 1), outBottom = max(0, p.y2 - imageHeight + 1)
        p.x1 += outLeft
        p.x2 -= outRight
        p.y1 += outTop
        p.y2 -= outBottom
        let scaleX = crop / Float(unclippedWidth), scaleY = crop / Float(unclippedHeight)
        p.warpedWidth = Int((Float(p.x2 - p.x1 + 1) * scaleX).rounded())
        p.warpedHeight = Int((Float(p.y2 - p.y1 + 1) * scaleY).rounded())
        p.padTop = Int((Float(outTop) * scaleY).rounded())
        // Mirroring mirrors the padding too.
        p.padLeft = Int((Float(mirror ? outRight : outLeft) * scaleX).rounded())
        // Rounding may push the warped region past the crop's edge.
        if p.padTop + p.warpedHeight > cropSize { p.warpedHeight = cropSize - p.padTop }
        if p.padLeft + p.warpedWidth > cropSize { p.warpedWidth = cropSize - p.padLeft }
        return p
    }

    private func warp(_ window: WindowFile.Window, of image: Image8, path: String, mirror: Bool,
                      into output: UnsafeMutablePointer<Float>) throws {
        let crop = settings.cropSize
        let p = Self.placement(x1: window.x1, y1: window.y1, x2: window.x2, y2: window.y2,
                               imageWidth: image.width, imageHeight: image.height, cropSize: crop,
                               contextPad: settings.contextPad, square: settings.square, mirror: mirror)
        guard p.x1 >= 0, p.y1 >= 0, p.x2 < image.width, p.y2 < image.height, p.x1 <= p.x2, p.y1 <= p.y2 else {
            throw SwiftCaffeError(.io, "\(windows.path):\(window.line): window (\(window.x1), \(window.y1))–"
                                  + "(\(window.x2), \(window.y2)) is not inside image '\(path)' "
                                  + "(\(image.width) × \(image.height))",
                                  hint: "corners are 0-based pixel indices, x2 < width and y2 < height")
        }
        output.update(repeating: 0, count: exampleShape.count)
        guard p.warpedWidth > 0, p.warpedHeight > 0 else { return }
        let region = Self.cut(image, x1: p.x1, y1: p.y1, x2: p.x2, y2: p.y2)
        let warped = region.resized(height: p.warpedHeight, width: p.warpedWidth)
        let meanFile = settings.meanFile, meanValues = settings.meanValues
        let meanWidth = meanFile?.shape.width ?? 0, meanHeight = meanFile?.shape.height ?? 0
        let meanOffset = (meanWidth - crop) / 2
        let scale = settings.scale
        let noMean = [Float]()
        (meanFile?.values ?? noMean).withUnsafeBufferPointer { mean in
            warped.pixels.withUnsafeBufferPointer { pixels in
                for c in 0..<3 {
                    let meanValue = meanValues.isEmpty ? 0 : meanValues[meanValues.count == 1 ? 0 : c]
                    for h in 0..<p.warpedHeight {
                        let outRow = output + (c * crop + h + p.padTop) * crop + p.padLeft
                        let pixelRow = (c * p.warpedHeight + h) * p.warpedWidth
                        // Caffe's mean file is indexed at the crop position, from its centre.
                        let meanRow = (c * meanHeight + h + meanOffset + p.padTop) * meanWidth + meanOffset + p.padLeft
                        for w in 0..<p.warpedWidth {
                            let pixel = Float(pixels[pixelRow + (mirror ? p.warpedWidth - 1 - w : w)])
                            let m = mean.isEmpty ? meanValue : mean[meanRow + w]
                            outRow[w] = (pixel - m) * scale
                        }
                    }
                }
            }
        }
    }

    /// The pixels x1…x2, y1…y2 (inclusive) of `image`.
    static func cut(_ image: Image8, x1: Int, y1: Int, x2: Int, y2: Int) -> Image8 {
        let width = x2 - x1 + 1, height = y2 - y1 + 1
        var out = [UInt8]()
        out.reserveCapacity(image.channels * width * height)
        for c in 0..<image.channels {
            for y in y1...y2 {
                let row = (c * image.height + y) * image.width
                out.append(contentsOf: image.pixels[(row + x1)...(row + x2)])
            }
        }
        return Image8(channels: image.channels, height: height, width: width, pixels: out)
    }
}
