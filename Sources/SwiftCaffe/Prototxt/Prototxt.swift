import Foundation
import SwiftProtobuf

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads protobuf text format (Caffe's `.prototxt`) into generated caffe.proto
/// messages, with `file:line:column` diagnostics.
///
/// SwiftProtobuf's own text-format parser reports errors without a position; Caffe
/// users edit these files by hand, so this reader tokenizes and parses the text
/// itself, checks it against caffe.proto's descriptors, writes protobuf binary and
/// lets the generated type decode that. Pipeline:
///
///     bytes → PrototxtUTF8 → PrototxtTokenizer → PrototxtParser (AST with positions)
///           → PrototxtMessageEncoder (schema checks, wire bytes) → M(serializedBytes:)
///
/// Every failure is a `SwiftCaffeError` (`.io`, `.syntax` or `.schema`); no input
/// makes it trap.
public enum Prototxt {
    /// Parses `text` without a schema: the syntax tree, for tools that only need
    /// positions or want to decode the same text as several types.
    public static func parse(text: String, file: String) throws -> PrototxtDocument {
        PrototxtDocument(file: file, root: try PrototxtParser.parse(bytes: Array(text.utf8), file: file))
    }

    /// Decodes `text` as message type `M` (any message of caffe.proto, found by
    /// `M.protoMessageName`). `file` is the name errors report.
    public static func decode<M: SwiftProtobuf.Message>(
        _ type: M.Type, text: String, file: String
    ) throws -> (message: M, document: PrototxtDocument) {
        let document = try parse(text: text, file: file)
        return (try decode(type, document: document), document)
    }

    /// Reads the file at `path` and decodes it as `M`. An unreadable file is an `.io`
    /// error; a file that is not UTF-8 (say, a `.caffemodel`) is a `.syntax` error at
    /// the first bad byte.
    public static func load<M: SwiftProtobuf.Message>(
        _ type: M.Type, path: String
    ) throws -> (message: M, document: PrototxtDocument) {
        try decode(type, bytes: try readFile(path), file: path)
    }

    /// Decodes an already parsed document as `M`.
    public static func decode<M: SwiftProtobuf.Message>(
        _ type: M.Type, document: PrototxtDocument
    ) throws -> M {
        try decode(type, document: document, schema: .caffe)
    }

    // MARK: - Internals (also used by tests)

    /// Decodes raw file contents: validates UTF-8 first so binary files get a clear error.
    static func decode<M: SwiftProtobuf.Message>(
        _ type: M.Type, bytes: [UInt8], file: String
    ) throws -> (message: M, document: PrototxtDocument) {
        try PrototxtUTF8.validate(bytes, file: file)
        let document = PrototxtDocument(file: file, root: try PrototxtParser.parse(bytes: bytes, file: file))
        return (try decode(type, document: document), document)
    }

    static func decode<M: SwiftProtobuf.Message>(
        _ type: M.Type, document: PrototxtDocument, schema: PrototxtSchema
    ) throws -> M {
        guard let descriptor = schema.message(named: M.protoMessageName) else {
            throw SwiftCaffeError(.schema, "no schema for message type '\(M.protoMessageName)'",
                                  location: document.start,
                                  hint: "only messages defined in caffe.proto can be read from prototxt")
        }
        let bytes = try PrototxtMessageEncoder(schema: schema).encode(document.root, as: descriptor)
        do {
            // partial: required fields are not enforced here, as in Caffe's own reader
            // usage (caffe.proto has none that matter).
            return try M(serializedBytes: bytes, partial: true)
        } catch {
            throw SwiftCaffeError(.schema, "internal error: the checked \(descriptor.shortName) could not be decoded (\(error))",
                                  location: document.start)
        }
    }

    /// The whole file, or `.io` "cannot read 'path': <reason>" with the system's reason.
    static func readFile(_ path: String) throws -> [UInt8] {
        func failure(_ code: Int32) -> SwiftCaffeError {
            var reason = String(cString: strerror(code))
            if let first = reason.first { reason = first.lowercased() + reason.dropFirst() }
            return SwiftCaffeError(.io, "cannot read '\(path)': \(reason)")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw failure(errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
