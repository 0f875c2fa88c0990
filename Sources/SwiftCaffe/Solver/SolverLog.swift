import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the solver's log lines go: standard output, optionally a log file (appended,
/// flushed after every line), optionally kept in memory (tests). Lines use Caffe's
/// wording, e.g. "Iteration 20, loss = 2.30259", "Iteration 20, lr = 0.01",
/// "    Train net output #0: loss = 2.30259 (* 1 = 2.30259 loss)".
///
/// On a terminal (both standard output and standard error are ttys) a live progress
/// line `\r[iter/max_iter] … images/s ETA … loss …` is drawn on standard error and
/// cleared before each log line; it is never written when output is redirected.
public final class SolverLog {
    public let echo: Bool
    public let record: Bool
    public private(set) var lines: [String] = []
    private var file: UnsafeMutablePointer<FILE>?
    /// Whether the progress line is drawn (decided once: both stdout and stderr are ttys).
    public let showsProgress: Bool
    private var progressVisible = false
    private var lastProgress: Double = 0

    /// - Parameters:
    ///   - echo: print lines to standard output.
    ///   - record: keep lines in `lines`.
    ///   - path: also append lines to this file.
    ///   - progress: allow the terminal progress line (still only on a tty).
    public init(echo: Bool = true, record: Bool = false, path: String? = nil, progress: Bool = false) throws {
        self.echo = echo
        self.record = record
        showsProgress = progress && isatty(1) == 1 && isatty(2) == 1
        if let path {
            guard let f = fopen(path, "a") else {
                throw SwiftCaffeError(.io, "cannot open log file '\(path)': \(String(cString: strerror(errno)))")
            }
            file = f
        }
    }

    deinit { if let file { fclose(file) } }

    /// Writes one log line.
    public func info(_ line: String) {
        if record { lines.append(line) }
        if echo {
            if progressVisible {
                fputs("\r\u{1B}[K", StandardStreams.error)
                progressVisible = false
            }
            fputs(line + "\n", StandardStreams.output)
            fflush(StandardStreams.output)
        }
        if let file {
            fputs(line + "\n", file)
            fflush(file)
        }
    }

    /// Redraws the progress line (at most 5 times a second).
    public func progress(iter: Int, maxIter: Int, imagesPerSecond: Double, secondsLeft: Double?, loss: Float) {
        guard showsProgress else { return }
        let now = Date().timeIntervalSince1970
        guard now - lastProgress >= 0.2 || iter == maxIter else { return }
        lastProgress = now
        var text = "[\(iter)/\(maxIter)] " + String(format: "%.1f images/s", imagesPerSecond)
        if let s = secondsLeft, s.isFinite, s >= 0 {
            let t = Int(s.rounded())
            text += String(format: " ETA %d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
        }
        text += " loss " + SolverLog.number(loss)
        fputs("\r" + text + "\u{1B}[K", StandardStreams.error)
        fflush(StandardStreams.error)
        progressVisible = true
    }

    /// Ends the progress line (before the process exits).
    public func finishProgress() {
        if progressVisible {
            fputs("\r\u{1B}[K", StandardStreams.error)
            fflush(StandardStreams.error)
            progressVisible = false
        }
    }

    /// A number as Caffe's logs print it (C++ stream default: 6 significant digits).
    public static func number(_ x: Float) -> String { number(Double(x)) }

    public static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return String(format: "%g", x)
    }
}
