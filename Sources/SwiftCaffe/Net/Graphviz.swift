import Foundation

/// Turns DOT text into SVG or PNG with Graphviz's `dot` program (Debian package
/// `graphviz`, which scripts/setup installs). Only the layout is Graphviz's: the
/// DOT text is ours (`NetDrawing.dot`).
public enum Graphviz {
    public enum Format: String, CaseIterable, Sendable { case svg, png }

    /// Runs `dot -T<format>` on `dot` and returns what it writes. `searchPath` is
    /// where to look for `dot` (the PATH variable by default).
    public static func render(_ dot: String, as format: Format,
                              searchPath: String? = ProcessInfo.processInfo.environment["PATH"]) throws -> Data {
        guard let program = findExecutable("dot", in: searchPath) else {
            throw SwiftCaffeError(.io, "Graphviz's 'dot' program is not installed; it is needed to write "
                                  + "\(format.rawValue.uppercased()) files",
                                  hint: "install it with 'apt-get install graphviz' (scripts/setup does), "
                                  + "or write the graph as DOT text with -o FILE.dot")
        }
        // The graph goes in through a file: writing it to a pipe could stall or
        // raise SIGPIPE if dot stopped reading early.
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftcaffe-graph-\(UUID().uuidString).dot")
        try Data(dot.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = ["-T\(format.rawValue)", input.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw SwiftCaffeError(.io, "cannot run '\(program)': \(error.localizedDescription)")
        }
        // Both pipes are drained at once so that neither can fill up and stall dot.
        let errorOutput = PipeReader(err)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: errorOutput.wait(), as: UTF8.self)
            .split(separator: "\n").prefix(3).joined(separator: "; ")
        guard process.terminationStatus == 0, !output.isEmpty else {
            throw SwiftCaffeError(.io, "Graphviz's '\(program)' failed (status \(process.terminationStatus))"
                                  + (message.isEmpty ? "" : ": \(message)"),
                                  hint: "write the graph as DOT text with -o FILE.dot to look at it")
        }
        return output
    }

    /// The first executable `name` in the colon-separated `searchPath`.
    public static func findExecutable(_ name: String, in searchPath: String?) -> String? {
        for directory in (searchPath ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Reads a pipe to its end on another thread.
    private final class PipeReader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ pipe: Pipe) {
            Thread.detachNewThread { [self] in
                data = pipe.fileHandleForReading.readDataToEndOfFile()
                done.signal()
            }
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }
}
