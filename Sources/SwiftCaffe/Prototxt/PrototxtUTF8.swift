/// UTF-8 validation with a position, for files read from disk.
///
/// The usual way to get a wrong encoding is to pass a binary file (a `.caffemodel`,
/// `.binaryproto` or `.solverstate`) where a prototxt is expected; saying *where* the
/// first bad byte is, and what the file probably is, beats "cannot decode".
enum PrototxtUTF8 {
    /// Byte offset of the first byte that is not part of a well-formed UTF-8 sequence
    /// (overlong forms, surrogates and values above U+10FFFF are rejected), or nil.
    static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the 2nd byte
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            guard bytes[i + 1] >= low, bytes[i + 1] <= high else { return i }
            for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }

    /// The line and column (counting Unicode scalars, as the tokenizer does) of
    /// `offset`, assuming the bytes before it are valid.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for b in bytes[..<min(offset, bytes.count)] {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    /// Throws a syntax error at the first invalid byte, if any.
    static func validate(_ bytes: [UInt8], file: String) throws {
        guard let offset = firstInvalidOffset(in: bytes) else { return }
        let (line, column) = position(of: offset, in: bytes)
        let hex = String(bytes[offset], radix: 16, uppercase: true)
        throw SwiftCaffeError(
            .syntax, "file is not valid UTF-8 text (byte 0x\(hex.count < 2 ? "0" + hex : hex))",
            location: SourceLocation(file: file, line: line, column: column),
            hint: "prototxt files are protobuf text format; binary files (.caffemodel, .binaryproto, .solverstate) cannot be read as text")
    }
}
