import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a data tool's `work` with a progress callback that draws a bar on stderr when
/// stderr is a terminal (nil otherwise, so logs and pipes get no carriage returns).
/// The bar's line is ended however `work` ends, so an error starts on a line of its own.
func withProgress<T>(_ work: (_ progress: ((_ done: Int, _ total: Int) -> Void)?) throws -> T) rethrows -> T {
    let bar = isatty(2) != 0 ? ProgressBar() : nil
    defer { bar?.finish() }
    return try work(bar.map { $0.draw })
}

/// A one-line progress bar redrawn on stderr (through `withProgress`).
private final class ProgressBar {
    private var drawn = false

    func draw(_ done: Int, _ total: Int) {
        let width = 40
        let filled = total > 0 ? min(width, width * done / total) : width
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(done)/\(total)"
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    /// Ends the line, so the next output starts on its own.
    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
