import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar redrawn on stderr, for the data tools. `ifTerminal()` gives
/// one only when stderr is a terminal, so logs and pipes get no carriage returns.
final class ProgressBar {
    private var drawn = false

    static func ifTerminal() -> ProgressBar? {
        isatty(2) != 0 ? ProgressBar() : nil
    }

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
