import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader sees either the old file or the complete new one,
/// even if the process is killed or the machine loses power mid-write:
/// temporary file in the same directory → write → fsync → rename → fsync(directory).
/// (Foundation's `.atomic` option skips the directory fsync; `replaceItemAt` can lose
/// the file on this platform.)
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        // Errors name the file the user asked for; any earlier version of it is untouched.
        func failure(_ what: String) -> SwiftCaffeError {
            SwiftCaffeError(.io, "cannot \(what) '\(path)': \(String(cString: strerror(errno)))")
        }
        removeAbandonedTemporaries(of: url)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure("create") }
        var ok = true
        data.withUnsafeBytes { buffer in
            var offset = 0
            while ok, offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno != EINTR { ok = false } } else { offset += n }
            }
        }
        if !ok { let e = failure("write"); close(fd); unlink(temporary); throw e }
        guard fsync(fd) == 0 else { let e = failure("sync"); close(fd); unlink(temporary); throw e }
        guard close(fd) == 0 else { let e = failure("close"); unlink(temporary); throw e }
        guard rename(temporary, path) == 0 else { let e = failure("rename a temporary file onto"); unlink(temporary); throw e }
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// True when no process `pid` exists: whatever it left behind is abandoned (a kill -9
    /// runs no cleanup). A live process of that number, even an unrelated one, keeps it.
    public static func isAbandoned(byProcess pid: Int32) -> Bool {
        pid > 0 && kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes `.<name>.tmp-<pid>` files of this target whose writer was killed mid-write,
    /// so repeated kills do not pile up temporaries (a snapshot's can be hundreds of MB).
    private static func removeAbandonedTemporaries(of url: URL) {
        let directory = url.deletingLastPathComponent().path
        let stem = "." + url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(stem) {
            if let pid = Int32(name.dropFirst(stem.count)), isAbandoned(byProcess: pid) {
                unlink(directory + "/" + name)
            }
        }
    }
}
