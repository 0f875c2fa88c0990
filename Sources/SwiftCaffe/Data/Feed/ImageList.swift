import Foundation

/// An image list file, as convert-imageset and the ImageData layer read it: one
/// "relative/path label" line per image. The label follows the last space or tab, so
/// paths may contain spaces (as in newer Caffe); blank lines are skipped.
public enum ImageList {
    /// One line of the list file.
    public struct Entry: Equatable, Sendable {
        public var path: String
        public var label: Int32
        /// 1-based line number in the list file.
        public var line: Int
    }

    static let hint = "the list holds one 'relative/path label' line per image"

    /// Reads and parses the list file at `path`.
    public static func read(path listPath: String) throws -> [Entry] {
        let data = try InputFile.read(listPath, what: "the list file", hint: hint)
        return try parse(String(decoding: data, as: UTF8.self), file: listPath)
    }

    /// Parses list text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> [Entry] {
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

    /// What is put before every listed path: the image folder with a "/" at its end
    /// (Caffe concatenates blindly, which without the "/" only gives a wrong path).
    static func prefix(root: String) -> String {
        root.isEmpty || root.hasSuffix("/") ? root : root + "/"
    }
}

extension ImageList.Entry {
    /// The entry's line in `listFile`, where errors about its image point.
    func location(in listFile: String) -> SourceLocation {
        SourceLocation(file: listFile, line: line, column: 1)
    }

    /// Runs `body`; an error it throws without a position gets the entry's line.
    func atLine<Result>(in listFile: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch var error as SwiftCaffeError {
            if error.location == nil { error.location = location(in: listFile) }
            throw error
        }
    }

    /// Reads the image file (`prefix` + path) and decodes it in `mode`. Errors name the
    /// image and the entry's line.
    func loadImage(prefix: String, listFile: String,
                   mode: ImageColorMode) throws -> (path: String, file: Data, image: Image8) {
        let path = prefix + self.path
        let file: Data
        do {
            file = try InputFile.contents(path)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SwiftCaffeError(.io, exists ? "cannot read the image '\(path)'" : "the image '\(path)' does not exist",
                                  location: location(in: listFile),
                                  hint: "fix the path (relative to the image folder) or remove the line")
        }
        let image = try atLine(in: listFile) {
            try file.withUnsafeBytes { try ImageCodec.decode($0, mode: mode, source: path) }
        }
        return (path, file, image)
    }
}
