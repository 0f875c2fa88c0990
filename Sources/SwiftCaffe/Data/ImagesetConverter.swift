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

    /// One line of the list file.
    public struct Entry: Equatable, Sendable {
        public var path: String
        public var label: Int32
        /// 1-based line number in the list file.
        public var line: Int
    }

    /// Caffe's record key: "%08d_<path>".
    public static func key(index: Int, path: String) -> String {
        String(format: "%08d", index) + "_" + path
    }

    // MARK: - The list file

    /// Reads "relative/path label" lines. The label follows the last space or tab, so
    /// paths may contain spaces (as in newer Caffe); blank lines are skipped.
    public static func readList(path listPath: String) throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: listPath) else {
            let exists = FileManager.default.fileExists(atPath: listPath)
            throw SwiftCaffeError(.io, exists ? "cannot read the list file '\(listPath)'"
                                      : "the list file '\(listPath)' does not exist",
                                  hint: "the list holds one 'relative/path label' line per image")
        }
        return try parseList(String(decoding: data, as: UTF8.self), file: listPath)
    }

    /// Parses list text; `file` names it in errors.
    public static func parseList(_ text: String, file: String) throws -> [Entry] {
        var entries: [Entry] = []
        var number = 0
        // "\r\n" is one Character in Swift, so split on every kind of line end.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)  // also a Windows "\r"
            if line.isEmpty { continue }
            let location = SourceLocation(file: file, line: number, column: 1)
            guard let split = line.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw SwiftCaffeError(.io, "'\(line)' has no label", location: location,
                                      hint: "each line is 'relative/path label', the label an integer class index")
            }
            let path = line[..<split].trimmingCharacters(in: .whitespaces)
            let labelText = String(line[line.index(after: split)...])
            guard let label = Int32(labelText) else {
                throw SwiftCaffeError(.io, "the label '\(labelText)' of '\(path)' is not an integer",
                                      location: location,
                                      hint: "each line is 'relative/path label', the label an integer class index "
                                          + "after the last space")
            }
            entries.append(Entry(path: path, label: label, line: number))
        }
        return entries
    }

    /// Fisher–Yates with SwiftCaffe's generator, so the same seed gives the same order
    /// on every machine.
    public static func shuffled(_ entries: [Entry], seed: UInt64) -> [Entry] {
        var result = entries
        let random = RandomSource(seed: seed)
        var i = result.count - 1
        while i > 0 {
            result.swapAt(i, random.nextInt(below: i + 1))
            i -= 1
        }
        return result
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
        guard !databasePath.isEmpty else {
            throw SwiftCaffeError(.usage, "the database path is empty")
        }
        if FileManager.default.fileExists(atPath: databasePath) {
            throw PartialDatabase.existing(databasePath)
        }
        var entries = try readList(path: listFile)
        guard !entries.isEmpty else {
            throw SwiftCaffeError(.io, "the list file '\(listFile)' lists no images",
                                  hint: "the list holds one 'relative/path label' line per image")
        }
        var isDirectory: ObjCBool = false
        if !root.isEmpty, !(FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory)
                             && isDirectory.boolValue) {
            throw SwiftCaffeError(.io, "the image folder '\(root)' does not exist",
                                  hint: "the listed paths are relative to it")
        }
        if options.shuffle { entries = shuffled(entries, seed: options.shuffleSeed) }
        let prefix = root.isEmpty || root.hasSuffix("/") ? root : root + "/"

        let total = entries.count
        let step = max(1, options.batchSize)
        try PartialDatabase.write(to: databasePath) { db in
            var first: (shape: String, path: String)?
            for (index, entry) in entries.enumerated() {
                let (datum, shape) = try makeDatum(entry, prefix: prefix, listFile: listFile, options: options)
                if options.checkSize {
                    if let first, first.shape != shape {
                        throw SwiftCaffeError(
                            .io, "'\(entry.path)' is \(shape) (channels x height x width) but the first image "
                                + "'\(first.path)' is \(first.shape)",
                            location: SourceLocation(file: listFile, line: entry.line, column: 1),
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
    /// and the decoded image's shape "CxHxW".
    static func makeDatum(_ entry: Entry, prefix: String, listFile: String,
                          options: Options) throws -> (Caffe_Datum, String) {
        let location = SourceLocation(file: listFile, line: entry.line, column: 1)
        let path = prefix + entry.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SwiftCaffeError(.io, exists ? "cannot read the image '\(path)'" : "the image '\(path)' does not exist",
                                  location: location, hint: "fix the path (relative to the image folder) or remove the line")
        }
        let mode: ImageColorMode = options.gray ? .gray : .color
        let resizes = options.shorterSide > 0 || options.resizeHeight > 0
        var datum = Caffe_Datum()
        datum.label = entry.label
        var image = Image8(channels: 0, height: 0, width: 0)
        var target = ImageCodec.Format.png
        do {
            try bytes.withUnsafeBytes { raw in
                image = try ImageCodec.decode(raw, mode: mode, source: path)
                if options.encoded {
                    // Caffe keeps the file as it is when nothing would change it: same
                    // format, no resize, and the file already has the channels asked for.
                    let header = try ImageCodec.header(raw, source: path)
                    target = options.encodeType ?? header.format
                    if !resizes && header.format == target && header.channels == image.channels {
                        datum.data = bytes
                    }
                }
            }
        } catch var error as SwiftCaffeError {
            if error.location == nil { error.location = location }
            throw error
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
        return (datum, image.shapeDescription)
    }
}
