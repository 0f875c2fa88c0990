import Foundation
import XCTest

/// The layering drawn in docs/ARCHITECTURE.md, checked on the source text: a folder of
/// Sources/SwiftCaffe uses only the types and functions declared in the folders below
/// it, and imports only the C libraries its row allows.
///
/// How it checks: every top-level declaration (`class`, `struct`, `enum`, `protocol`,
/// `typealias`, `actor`, `func`, `let`, `var` starting a line) belongs to the folder of
/// its file; every identifier in a file, outside comments and string literals, that
/// names a declaration of a folder above is a violation. Members added by extensions
/// and called through a value (`blob.toProto()`) are not seen; their types are.
final class LayeringTests: XCTestCase {
    /// Bottom first. Each folder may use itself and every folder before it.
    static let layers: [(folder: String, imports: Set<String>)] = [
        ("Core", []),
        ("Prototxt", ["CaffeProto", "SwiftProtobuf"]),
        ("Math", ["CaffeProto", "CBLAS"]),
        ("Engines", ["CDNNL"]),
        ("Data", ["CaffeProto", "CLMDB", "CZlib", "CTurboJPEG", "CPNG", "CHDF5", "Dispatch"]),
        ("Layers", ["CaffeProto"]),
        ("Net", ["CaffeProto", "SwiftProtobuf"]),
        ("Distributed", ["CMPI"]),
        ("Solver", ["CaffeProto", "SwiftProtobuf"]),
        ("Report", []),
    ]
    /// Imports every folder may use.
    static let everywhere: Set<String> = ["Foundation", "Glibc", "Darwin", "Synchronization"]

    static let sources = TestSupport.packageRoot.appendingPathComponent("Sources/SwiftCaffe")

    struct SourceFile {
        var path: String
        var folder: String
        var code: String  // comments and string literals blanked out
    }

    func testEveryFolderIsInTheLayering() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
            .filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(folders, Self.layers.map(\.folder).sorted(),
                       "a new folder in Sources/SwiftCaffe needs its row in LayeringTests.layers and in docs/ARCHITECTURE.md")
    }

    func testFoldersUseOnlyTheLayersBelowThem() throws {
        let files = try Self.readSources()
        XCTAssertGreaterThan(files.count, 50)
        let rank = Dictionary(uniqueKeysWithValues: Self.layers.enumerated().map { ($0.element.folder, $0.offset) })

        // Name → the folder declaring it (names declared in two folders are ambiguous: skipped).
        var owner: [String: String] = [:]
        var ambiguous: Set<String> = []
        for file in files {
            for name in Self.topLevelDeclarations(file.code) {
                if let other = owner[name], other != file.folder { ambiguous.insert(name) }
                owner[name] = file.folder
            }
        }
        XCTAssertNotNil(owner["Blob"], "the declaration scan found no Blob")
        XCTAssertNotNil(owner["NetBuilder"], "the declaration scan found no NetBuilder")

        var violations: [String] = []
        for file in files {
            guard let mine = rank[file.folder] else { continue }
            var reported: Set<String> = []
            for (line, text) in file.code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for word in Self.identifiers(in: text) where !ambiguous.contains(word) && !reported.contains(word) {
                    guard let folder = owner[word], let theirs = rank[folder], theirs > mine else { continue }
                    reported.insert(word)
                    violations.append("\(file.path):\(line + 1): \(file.folder) uses \(folder)'s '\(word)'")
                }
            }
        }
        XCTAssertEqual(violations, [], "\n" + violations.joined(separator: "\n"))
    }

    func testFoldersImportOnlyTheirLibraries() throws {
        let allowed = Dictionary(uniqueKeysWithValues: Self.layers.map { ($0.folder, $0.imports) })
        var violations: [String] = []
        for file in try Self.readSources() {
            let mayImport = (allowed[file.folder] ?? []).union(Self.everywhere)
            for line in file.code.split(separator: "\n") where line.hasPrefix("import ") {
                let module = String(line.dropFirst("import ".count)).trimmingCharacters(in: .whitespaces)
                if !mayImport.contains(module) { violations.append("\(file.path): \(file.folder) imports \(module)") }
            }
        }
        XCTAssertEqual(violations, [], "\n" + violations.joined(separator: "\n"))
    }

    /// The checker itself: it finds declarations and ignores comments and strings.
    func testScannerSeesDeclarationsAndSkipsCommentsAndStrings() {
        let code = Self.blankCommentsAndStrings("""
            public final class Net { } // class Hidden
            struct Shape {}
            /* enum AlsoHidden */
            let text = "struct NotACode \\(value) \\"Quoted\\""
            func makeNet() -> Net { Net() }
            """)
        XCTAssertEqual(Self.topLevelDeclarations(code), ["Net", "Shape", "text", "makeNet"])
        XCTAssertFalse(code.contains("Hidden"))
        XCTAssertFalse(code.contains("NotACode"))
        XCTAssertTrue(code.contains("value"), "interpolated code stays visible")
        XCTAssertEqual(Self.identifiers(in: "let x: Caffe_SolverParameter.SolverType = .sgd"),
                       ["let", "x", "Caffe_SolverParameter"])
    }

    // MARK: Scanning

    static func readSources() throws -> [SourceFile] {
        let root = sources.path
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [SourceFile] = []
        for case let relative as String in enumerator where relative.hasSuffix(".swift") {
            let folder = String(relative.split(separator: "/")[0])
            let text = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
            files.append(SourceFile(path: "Sources/SwiftCaffe/" + relative, folder: folder,
                                    code: blankCommentsAndStrings(text)))
        }
        return files.sorted { $0.path < $1.path }
    }

    static let declarationKeywords: Set<String> = ["class", "struct", "enum", "protocol", "typealias", "actor",
                                                  "func", "let", "var"]
    static let modifiers: Set<String> = ["public", "internal", "private", "fileprivate", "open", "final",
                                         "package", "indirect", "nonisolated(unsafe)", "@usableFromInline",
                                         "@frozen", "@inlinable", "@inline(__always)", "@discardableResult"]

    /// Names declared at the top level (lines starting in column 0).
    static func topLevelDeclarations(_ code: String) -> [String] {
        var names: [String] = []
        for line in code.split(separator: "\n") where !line.hasPrefix(" ") && !line.hasPrefix("\t") {
            var words = line.split(separator: " ").map(String.init)[...]
            while let first = words.first, modifiers.contains(first) { words = words.dropFirst() }
            guard let keyword = words.first, declarationKeywords.contains(keyword), words.count > 1 else { continue }
            let name = words[words.startIndex + 1].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty { names.append(String(name)) }
        }
        return names
    }

    /// The identifiers of a line, except members reached with a dot (`Outer.Inner`,
    /// `.caseName`): those cannot be told apart from top-level names by their spelling.
    static func identifiers(in line: Substring) -> [String] {
        var words: [String] = []
        var current = ""
        var afterDot = false
        for c in line + " " {
            if c.isLetter || c.isNumber || c == "_" {
                current.append(c)
                continue
            }
            if !current.isEmpty, !afterDot { words.append(current) }
            current = ""
            afterDot = c == "."
        }
        return words
    }

    /// Replaces comments and the text of string literals by spaces (line breaks kept, so
    /// line numbers stay right); the code inside `\(…)` interpolations is kept.
    static func blankCommentsAndStrings(_ text: String) -> String {
        let chars = Array(text)
        var out: [Character] = []
        out.reserveCapacity(chars.count)
        var i = 0
        var interpolationDepth: [Int] = []  // paren depth at which each open interpolation closes
        var parens = 0
        func blank(_ c: Character) -> Character { c == "\n" ? "\n" : " " }
        func skipString(multiline: Bool) {
            // Called after the opening quote(s).
            while i < chars.count {
                if chars[i] == "\\", i + 1 < chars.count {
                    if chars[i + 1] == "(" {
                        out.append(" ")
                        out.append("(")
                        i += 2
                        interpolationDepth.append(parens)
                        parens += 1
                        scanCode(untilInterpolationEnds: true)
                        continue
                    }
                    out.append(" ")
                    out.append(blank(chars[i + 1]))
                    i += 2
                    continue
                }
                if multiline, i + 2 < chars.count, chars[i] == "\"", chars[i + 1] == "\"", chars[i + 2] == "\"" {
                    out.append(contentsOf: "\"\"\"")
                    i += 3
                    return
                }
                if !multiline, chars[i] == "\"" {
                    out.append("\"")
                    i += 1
                    return
                }
                out.append(blank(chars[i]))
                i += 1
            }
        }
        func scanCode(untilInterpolationEnds: Bool) {
            while i < chars.count {
                let c = chars[i]
                if c == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                    while i < chars.count, chars[i] != "\n" { out.append(" "); i += 1 }
                } else if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                    var depth = 0
                    repeat {
                        if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                            depth += 1; out.append(contentsOf: "  "); i += 2
                        } else if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" {
                            depth -= 1; out.append(contentsOf: "  "); i += 2
                        } else {
                            out.append(blank(chars[i])); i += 1
                        }
                    } while depth > 0 && i < chars.count
                } else if c == "\"" {
                    let multiline = i + 2 < chars.count && chars[i + 1] == "\"" && chars[i + 2] == "\""
                    out.append(contentsOf: multiline ? "\"\"\"" : "\"")
                    i += multiline ? 3 : 1
                    skipString(multiline: multiline)
                } else {
                    if c == "(" { parens += 1 }
                    if c == ")" {
                        parens -= 1
                        if untilInterpolationEnds, let close = interpolationDepth.last, parens == close {
                            interpolationDepth.removeLast()
                            out.append(")")
                            i += 1
                            return
                        }
                    }
                    out.append(c)
                    i += 1
                }
            }
        }
        scanCode(untilInterpolationEnds: false)
        return String(out)
    }
}
