import Foundation
import SwiftCaffe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `train --log FILE`: the solver's log lines, each behind glog's prefix
/// (`I1202 18:20:42.123456 12345 swiftcaffe] Iteration 100, loss = 0.5`), so that
/// `plot --x seconds`, `report` and Caffe's parse_log.py read when every line was
/// written. Standard output keeps the plain lines.
///
/// The solver's `SolverLog` records its lines; `catchUp` appends the ones not yet in
/// the file, stamped with the time of the call. `train` calls it from the solver's
/// hooks — before every forward pass and after every iteration's display — and when
/// it ends, so a line's stamp is at most one forward pass late (a test pass's results
/// are stamped before the next training forward, as Caffe prints them then).
final class StampedLogFile {
    private let file: UnsafeMutablePointer<FILE>
    private var written = 0

    init(path: String) throws {
        guard let file = fopen(path, "a") else {
            throw SwiftCaffeError(.io, "cannot open log file '\(path)': \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    deinit { fclose(file) }

    /// Appends the lines `log` recorded since the last call. Allocates nothing when
    /// there are none (it runs in the training loop).
    func catchUp(with log: SolverLog) {
        let lines = log.lines
        guard lines.count > written else { return }
        let prefix = TrainingLogLine.glogPrefixNow()
        for line in lines[written...] {
            // Every physical line gets the prefix: parse_log.py reads a date from each.
            for part in line.split(separator: "\n", omittingEmptySubsequences: false) {
                fputs(prefix, file)
                fputs(String(part), file)
                fputs("\n", file)
            }
        }
        written = lines.count
        fflush(file)
    }
}
