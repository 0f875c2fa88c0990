import CaffeProto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Caffe's convert_imageset: a list of "relative/path label" lines and a root folder →
/// an LMDB of Datum records keyed "%08d_<path>" (the index in the, possibly shuffled,
/// list), committed every `batchSize` records.
///
/// Where Caffe logs a warning and skips an image it cannot read, this stops with an
/// error naming the image and its line in the list: a dataset silently missing images
/// is worse than a conversion that has to be rerun. Like convert-mnist, a failed
/// conversion leaves no database under the final name.
public enum ImagesetConverter {
    public struct Options: Sendable {
        /// Decode as one channel of luma (Caffe's --gray); otherwise three, B, G, R.
        public var gray = false
        /// Shuffle the list before converting (Caffe's --shuffle), with `shuffleSeed`.
        public var shuffle = false
        public var shuffleSeed: UInt64 = 1701
        /// Resize every image to resizeHeight × resizeWidth (both, or neither: 0).
        public var resizeHeight = 0
        public var resizeWidth = 0
        /// SwiftCaffe's extension: resize so the shorter side is this, keeping the aspect
        /// ratio, then crop the central square (the AlexNet paper's 256×256 recipe). 0: off.
        public var shorterSide = 0
        /// Require every image to have the same channels × height × width.
        public var checkSize = false
        /// Store JPEG/PNG bytes instead of raw pixels (Caffe's --encoded).
        public var encoded = false
        /// The format encoded records use; nil keeps each file's own format.
        public var encodeType: ImageCodec.Format?
        /// Records per LMDB transaction (Caffe commits every 1000).
        public var batchSize = 1000

        public init() {}
    }

    /// Caffe's record key: "%08d_<path>".
    public static func key(index: Int, path: String) -> String {
        String(format: "%08d", index) + "_" + path
    }

    // MARK: - Converting

    /// Converts and returns the number of records written. `root` is prefixed to every
    /// listed path (a "/" is added when missing). `progress(done, total)` is called
    /// after every commit.
    @discardableResult
    public static func convert(root: String, listFile: String, databasePath: String,
                               options: Options = Options(),
                               progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        try validate(options)
        try PartialDatabase.checkCanCreate(databasePath)
        var entries = try ImageList.read(path: listFile)
        guard !entries.isEmpty else {
            throw SwiftCaffeError(.io, "the list file '\(listFile)' lists no images", hint: ImageList.hint)
        }
        var isDirectory: ObjCBool = false
        if !root.isEmpty, !(FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory)
                             && isDirectory.boolValue) {
            throw SwiftCaffeError(.io, "the image folder '\(root)' does not exist",
                                  hint: "the listed paths are relative to it")
        }
        if options.shuffle { entries = ImageList.shuffled(entries, seed: options.shuffleSeed) }
        let prefix = ImageList.prefix(root: root)

        let total = entries.count
        let step = max(1, options.batchSize)
        try PartialDatabase.write(to: databasePath) { db in
            var first: (shape: ExampleShape, path: String)?
            for (index, entry) in entries.enumerated() {
                let (datum, shape) = try makeDatum(entry, prefix: prefix, listFile: listFile, options: options)
                if options.checkSize {
                    if let first, first.shape != shape {
                        throw SwiftCaffeError(
                            .io, "'\(entry.path)' is \(shape) (channels x height x width) but the first image "
                                + "'\(first.path)' is \(first.shape)",
                            location: entry.location(in: listFile),
                            hint: "give every image one size with --resize_height/--resize_width or "
                                + "--shorter_side, or drop --check_size")
                    }
                    if first == nil { first = (shape, entry.path) }
                }
                let value: [UInt8] = try datum.serializedBytes()
                try db.put(key: key(index: index, path: entry.path), value: value)
                if (index + 1) % step == 0 {
                    try db.commit()
                    progress?(index + 1, total)
                }
            }
            try db.commit()
            if total % step != 0 { progress?(total, total) }
        }
        return total
    }

    private static func validate(_ options: Options) throws {
        if options.resizeHeight < 0 || options.resizeWidth < 0 || options.shorterSide < 0 {
            throw SwiftCaffeError(.usage, "resize sizes cannot be negative")
        }
        if (options.resizeHeight == 0) != (options.resizeWidth == 0) {
            throw SwiftCaffeError(.usage, "resizeHeight and resizeWidth go together (got \(options.resizeHeight) "
                                  + "and \(options.resizeWidth))",
                                  hint: "give both, or use shorterSide to keep the aspect ratio")
        }
        if options.shorterSide > 0 && options.resizeHeight > 0 {
            throw SwiftCaffeError(.usage, "shorterSide cannot be combined with resizeHeight/resizeWidth",
                                  hint: "pick one way of resizing")
        }
        if options.encodeType != nil && !options.encoded {
            throw SwiftCaffeError(.usage, "encodeType needs encoded", hint: "set encoded to store encoded images")
        }
    }

    /// Reads, decodes and resizes one image and builds its Datum. Returns the Datum
    /// and the decoded (and resized) image's shape.
    private static func makeDatum(_ entry: ImageList.Entry, prefix: String, listFile: String,
                          options: Options) throws -> (Caffe_Datum, ExampleShape) {
        var (path, file, image) = try entry.loadImage(prefix: prefix, listFile: listFile,
                                                      mode: options.gray ? .gray : .color)
        let resizes = options.shorterSide > 0 || options.resizeHeight > 0
        var datum = Caffe_Datum()
        datum.label = entry.label
        var target = ImageCodec.Format.png
        if options.encoded {
            // Caffe keeps the file as it is when nothing would change it: same format,
            // no resize, and the file already has the channels asked for.
            let header = try entry.atLine(in: listFile) {
                try file.withUnsafeBytes { try ImageCodec.header($0, source: path) }
            }
            target = options.encodeType ?? header.format
            if !resizes && header.format == target && header.channels == image.channels {
                datum.data = file
            }
        }
        if options.shorterSide > 0 {
            image = image.resizedShorterSide(options.shorterSide)
                .centerCropped(height: options.shorterSide, width: options.shorterSide)
        } else if options.resizeHeight > 0 {
            image = image.resized(height: options.resizeHeight, width: options.resizeWidth)
        }
        if options.encoded {
            // As Caffe: an encoded Datum holds only the bytes, the label and the flag.
            datum.encoded = true
            if datum.data.isEmpty {
                datum.data = Data(try ImageCodec.encode(image, format: target))
            }
        } else {
            datum.channels = Int32(image.channels)
            datum.height = Int32(image.height)
            datum.width = Int32(image.width)
            datum.data = Data(image.pixels)
        }
        return (datum, image.shape)
    }
}
