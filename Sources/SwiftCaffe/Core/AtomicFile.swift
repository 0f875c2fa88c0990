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
        func failure(_ what: String, _ file: String) -> SwiftCaffeError {
            SwiftCaffeError(.io, "cannot \(what) '\(file)': \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure("create", temporary) }
        var ok = true
        data.withUnsafeBytes { buffer in
            var offset = 0
            while ok, offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno != EINTR { ok = false } } else { offset += n }
            }
        }
        if !ok { let e = failure("write", temporary); close(fd); unlink(temporary); throw e }
        guard fsync(fd) == 0 else { let e = failure("sync", temporary); close(fd); unlink(temporary); throw e }
        guard close(fd) == 0 else { let e = failure("close", temporary); unlink(temporary); throw e }
        guard rename(temporary, path) == 0 else { let e = failure("rename onto", path); unlink(temporary); throw e }
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }
}
