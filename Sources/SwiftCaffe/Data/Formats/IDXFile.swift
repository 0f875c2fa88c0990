import CZlib
import Foundation

/// MNIST's IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian header, then
/// unsigned bytes. Images: magic 0x00000803, count, rows, columns, then count×rows×columns
/// pixels (row-major). Labels: magic 0x00000801, count, then count labels.
/// Files may be gzipped (as distributed, "*-ubyte.gz"): the gzip magic 1f 8b is detected
/// and the data inflated with zlib.
///
/// Every failure (missing file, bad magic, truncated data, corrupt gzip) is a
/// `SwiftCaffeError(.io, ...)` naming the file.
public enum IDXFile {
    public static let imageMagic: UInt32 = 0x0000_0803
    public static let labelMagic: UInt32 = 0x0000_0801

    /// An IDX image file's contents.
    public struct Images: Equatable, Sendable {
        public var path: String
        public var count: Int
        public var rows: Int
        public var columns: Int
        /// count × rows × columns pixels, image after image, each row-major.
        public var pixels: [UInt8]

        public var pixelsPerImage: Int { rows * columns }

        /// The pixels of image `index`.
        public func image(_ index: Int) -> ArraySlice<UInt8> {
            pixels[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)]
        }
    }

    /// An IDX label file's contents.
    public struct Labels: Equatable, Sendable {
        public var path: String
        public var labels: [UInt8]
        public var count: Int { labels.count }
    }

    /// Reads an IDX image file (gzipped or not).
    public static func readImages(path: String) throws -> Images {
        let bytes = try contents(path: path)
        try checkMagic(bytes, path: path, expected: imageMagic, what: "image")
        guard bytes.count >= 16 else {
            throw truncated(path, "its header is \(bytes.count) bytes; an IDX image header is 16")
        }
        let count = Int(bigEndian(bytes, 4)), rows = Int(bigEndian(bytes, 8)), columns = Int(bigEndian(bytes, 12))
        guard rows > 0, columns > 0 else {
            throw SwiftCaffeError(.io, "'\(path)' is not a valid IDX image file: its images are \(rows)×\(columns)")
        }
        let (perImage, o1) = rows.multipliedReportingOverflow(by: columns)
        let (total, o2) = perImage.multipliedReportingOverflow(by: count)
        let available = bytes.count - 16
        guard !o1, !o2, total <= available else {
            throw truncated(path, "the header says \(count) images of \(rows)×\(columns) pixels "
                            + "(\(o1 || o2 ? "too many" : String(total)) bytes) but the file has \(available) bytes of pixels"
                            + (perImage > 0 && !o1 ? " (\(available / perImage) whole images)" : ""))
        }
        return Images(path: path, count: count, rows: rows, columns: columns, pixels: Array(bytes[16..<(16 + total)]))
    }

    /// Reads an IDX label file (gzipped or not).
    public static func readLabels(path: String) throws -> Labels {
        let bytes = try contents(path: path)
        try checkMagic(bytes, path: path, expected: labelMagic, what: "label")
        guard bytes.count >= 8 else {
            throw truncated(path, "its header is \(bytes.count) bytes; an IDX label header is 8")
        }
        let count = Int(bigEndian(bytes, 4))
        let available = bytes.count - 8
        guard count <= available else {
            throw truncated(path, "the header says \(count) labels but the file has \(available)")
        }
        return Labels(path: path, labels: Array(bytes[8..<(8 + count)]))
    }

    /// The file's bytes, inflated if it is gzipped.
    public static func contents(path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SwiftCaffeError(.io, "IDX file '\(path)' does not exist")
        }
        guard !isDirectory.boolValue else {
            throw SwiftCaffeError(.io, "'\(path)' is a directory, not an IDX file")
        }
        let data: Data
        do {
            data = try InputFile.contents(path)
        } catch {
            throw SwiftCaffeError(.io, "cannot read IDX file '\(path)': \(error.reason)")
        }
        let bytes = [UInt8](data)
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            return try gunzip(bytes, path: path)
        }
        return bytes
    }

    /// Inflates gzip data (all members, as gzip -d does), streaming into a growing buffer.
    static func gunzip(_ input: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: accept a zlib or gzip header, detected automatically.
        var rc = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            throw SwiftCaffeError(.io, "cannot inflate '\(path)': zlib inflateInit2 failed (\(rc))")
        }
        defer { inflateEnd(&stream) }
        func corrupt(_ detail: String) -> SwiftCaffeError {
            SwiftCaffeError(.io, "'\(path)' is not valid gzip data: \(detail)",
                            hint: "the download may be incomplete; fetch the file again")
        }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        try input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    return outBuffer.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                switch rc {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another gzip member may follow (concatenated .gz files).
                    guard stream.avail_in > 0 else { return }
                    let offset = inBuffer.count - Int(stream.avail_in)
                    guard inBuffer[offset] == 0x1f, stream.avail_in >= 2, inBuffer[offset + 1] == 0x8b else {
                        throw corrupt("\(stream.avail_in) bytes of trailing garbage after the compressed data")
                    }
                    guard inflateReset(&stream) == Z_OK else { throw corrupt("inflateReset failed") }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw corrupt("the compressed data ends early (truncated file)")
                    }
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw corrupt(message)
                }
            }
        }
        return output
    }

    // MARK: Helpers

    private static func bigEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    private static func checkMagic(_ bytes: [UInt8], path: String, expected: UInt32, what: String) throws {
        guard bytes.count >= 4 else {
            throw SwiftCaffeError(.io, "'\(path)' is not an IDX \(what) file: it is only \(bytes.count) bytes long")
        }
        let magic = bigEndian(bytes, 0)
        guard magic == expected else {
            let other = expected == imageMagic ? labelMagic : imageMagic
            throw SwiftCaffeError(
                .io, "'\(path)' is not an IDX \(what) file (magic \(hex(magic)), expected \(hex(expected)))",
                hint: magic == other ? "it is an IDX \(what == "image" ? "label" : "image") file: are the arguments swapped?" : nil)
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    private static func truncated(_ path: String, _ detail: String) -> SwiftCaffeError {
        SwiftCaffeError(.io, "IDX file '\(path)' is truncated: \(detail)",
                        hint: "the download may be incomplete; fetch the file again")
    }
}
