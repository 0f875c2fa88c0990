import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an LMDB under a temporary sibling name "DB.partial-<pid>" and renames it to
/// DB only when everything is committed, so a failed or interrupted conversion never
/// leaves a half-written database that looks complete.
enum PartialDatabase {
    static func write(to databasePath: String, _ body: (LMDBDatabase) throws -> Void) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: databasePath) { throw existing(databasePath) }
        let trimmed = databasePath.hasSuffix("/") && databasePath.count > 1
            ? String(databasePath.reversed().drop { $0 == "/" }.reversed()) : databasePath
        let partial = trimmed + ".partial-\(getpid())"
        if fm.fileExists(atPath: partial) { try? fm.removeItem(atPath: partial) }
        removeAbandonedPartials(of: trimmed)
        do {
            let db = try LMDBDatabase(path: partial, mode: .create)
            do {
                try body(db)
                try db.close()
            } catch {
                try? db.close()
                throw error
            }
            if fm.fileExists(atPath: trimmed) { throw existing(databasePath) }
            guard rename(partial, trimmed) == 0 else {
                throw SwiftCaffeError(.io, "cannot rename '\(partial)' to '\(trimmed)': \(String(cString: strerror(errno)))")
            }
        } catch {
            try? fm.removeItem(atPath: partial)
            throw error
        }
        let parent = (trimmed as NSString).deletingLastPathComponent
        let dirFD = open(parent.isEmpty ? "." : parent, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// Checks, before any input is read, that a database can be created at `path`: the
    /// path is given and nothing is there yet (Caffe refuses an existing database too).
    static func checkCanCreate(_ path: String) throws {
        guard !path.isEmpty else {
            throw SwiftCaffeError(.usage, "the database path is empty")
        }
        if FileManager.default.fileExists(atPath: path) { throw existing(path) }
    }

    /// Removes "DB.partial-<pid>" folders left by conversions that were killed (kill -9,
    /// power loss): their process is gone, and the database they were becoming never
    /// appeared under its own name.
    private static func removeAbandonedPartials(of databasePath: String) {
        let url = URL(fileURLWithPath: databasePath)
        let directory = url.deletingLastPathComponent().path
        let stem = url.lastPathComponent + ".partial-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(stem) {
            if let pid = Int32(name.dropFirst(stem.count)), AtomicFile.isAbandoned(byProcess: pid) {
                try? FileManager.default.removeItem(atPath: directory + "/" + name)
            }
        }
    }

    private static func existing(_ path: String) -> SwiftCaffeError {
        SwiftCaffeError(.io, "cannot create database '\(path)': it already exists",
                        hint: "delete it first (rm -r '\(path)') to rebuild it")
    }
}
