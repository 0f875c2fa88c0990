import Foundation
import SwiftCaffe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `swiftcaffe train` in a child process — the very command a user runs — and
/// keeps its log with a glog-style timestamp on every line, taken as the line arrives
/// (the child's output carries no time; the stamps let the curves use seconds). The
/// child is waited for with wait4, whose rusage is that process's alone, so each run's
/// peak memory is its own and not the high-water mark of everything run before it.
struct TrainingProcess {
    struct Outcome {
        var status: Int32
        var seconds: Double
        var peakResidentKiB: Int?
    }

    /// This executable (the child runs the same build).
    static var executable: String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments[0]
    }

    /// Runs `arguments` (after the executable), appending the stamped log to `logPath`;
    /// `onLine` sees every line as it arrives.
    static func run(_ arguments: [String], logPath: String, onLine: (String) -> Void) throws -> Outcome {
        guard let log = fopen(logPath, "w") else {
            throw SwiftCaffeError(.io, "cannot write the run log '\(logPath)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(log) }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SwiftCaffeError(.io, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let program = executable
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let clock = ContinuousClock()
        let started = clock.now
        var pid = pid_t()
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw SwiftCaffeError(.io, "cannot start '\(program)': \(String(cString: strerror(spawned)))")
        }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                fputs(stamp() + line + "\n", log)
                fflush(log)
                onLine(line)
            }
        }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self)
            fputs(stamp() + line + "\n", log)
            onLine(line)
        }
        close(fds[0])
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = (clock.now - started).components
        // Exit status as the shell reports it: the code, or 128 + the signal.
        let exited = status & 0x7f == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: code, seconds: Double(seconds.seconds) + Double(seconds.attoseconds) * 1e-18,
                       peakResidentKiB: Int(usage.ru_maxrss))  // KiB on Linux
    }

    /// glog's prefix for now: `Immdd hh:mm:ss.uuuuuu pid swiftcaffe] ` (UTC).
    static func stamp() -> String { TrainingLogLine.glogPrefixNow() }
}
