import CLMDB
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Caffe LMDB database: an LMDB environment *directory* holding `data.mdb` and
/// `lock.mdb` (Caffe never uses MDB_NOSUBDIR), one unnamed key/value table, keys
/// compared bytewise (Caffe's keys are "%08d" record indices, optionally followed by
/// "_<filename>", so key order is insertion order).
///
/// Reading (`.read`) opens the environment with MDB_RDONLY | MDB_NOTLS (writing with
/// MDB_NOTLS), so cursors can be handed from one thread to another (used by one thread
/// at a time). Writing (`.create`) makes a new database; `put` buffers records and `commit()` writes the
/// batch in one transaction. When the batch doesn't fit the memory map (MDB_MAP_FULL)
/// the map size is doubled and the transaction retried, as Caffe's LMDBTransaction does.
///
/// Every LMDB failure is reported as `SwiftCaffeError(.io, ...)` naming the path and
/// LMDB's own message; nothing here traps on bad input.
public final class LMDBDatabase {
    public enum Mode: Sendable {
        /// Open an existing database read-only.
        case read
        /// Create a new database (the directory is created if needed; an existing
        /// database there is refused rather than silently mixed into).
        case create
    }

    /// The environment directory, as given.
    public let path: String
    public let mode: Mode

    /// The default initial map size for writing: 1 GiB (address space only: the file
    /// grows with the data). Grown by doubling when a commit runs out of room.
    public static let defaultMapSize = 1 << 30

    private var env: OpaquePointer?
    /// data.mdb's size when reading: a record claiming to be larger comes from a damaged
    /// page and is refused instead of copied (which would read past the mapped file).
    private var fileSize: Int?
    private var pending: [(key: [UInt8], value: [UInt8])] = []
    private var cursors: [WeakCursor] = []

    /// Opens the database at `path`. `mapSize` is the initial memory-map size in bytes
    /// for `.create` (ignored when reading: LMDB then uses the size recorded in the file).
    public init(path: String, mode: Mode, mapSize: Int = LMDBDatabase.defaultMapSize) throws {
        self.path = path
        self.mode = mode

        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        let dataFile = (path as NSString).appendingPathComponent("data.mdb")
        switch mode {
        case .read:
            guard exists else {
                throw SwiftCaffeError(.io, "LMDB database '\(path)' does not exist: create one with "
                                      + "swiftcaffe convert-imageset or convert-mnist")
            }
            guard isDirectory.boolValue, fm.fileExists(atPath: dataFile) else {
                throw SwiftCaffeError(
                    .io, "'\(path)' is not an LMDB database (no data.mdb): create one with "
                        + "swiftcaffe convert-imageset or convert-mnist",
                    hint: isDirectory.boolValue ? nil
                        : "'\(path)' is a file; a Caffe LMDB database is a directory holding data.mdb and lock.mdb")
            }
            try LMDBHeader.check(dataFile: dataFile, database: path)
        case .create:
            if exists && !isDirectory.boolValue {
                throw SwiftCaffeError(.io, "cannot create LMDB database '\(path)': a file with that name exists")
            }
            if fm.fileExists(atPath: dataFile) {
                throw SwiftCaffeError(.io, "cannot create LMDB database '\(path)': it already exists",
                                      hint: "delete the directory first to rebuild it")
            }
            guard mapSize > 0 else {
                throw SwiftCaffeError(.io, "cannot create LMDB database '\(path)': map size must be positive (got \(mapSize))")
            }
            try Self.makeDirectory(path)
            try Self.reserveLockFile(in: path)
        }

        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "mdb_env_create")
        env = handle
        do {
            if mode == .create {
                try check(mdb_env_set_mapsize(handle, mapSize), "mdb_env_set_mapsize")
            }
            // MDB_NOTLS: read transactions (cursors) aren't tied to a thread's lock slot, so a
            // cursor and a count can be open on one thread at once.
            let flags: UInt32 = mode == .read ? UInt32(MDB_RDONLY | MDB_NOTLS) : UInt32(MDB_NOTLS)
            let rc = mdb_env_open(handle, path, flags, 0o664)
            if rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH {
                throw SwiftCaffeError(.io, "'\(path)' is not a valid LMDB database: \(Self.message(rc))")
            }
            try check(rc, "mdb_env_open")
            if mode == .read { try checkComplete(handle, dataFile: dataFile) }
        } catch {
            mdb_env_close(handle)
            env = nil
            throw error
        }
    }

    deinit {
        // Uncommitted puts are dropped here: call close() (or commit()) to keep them.
        closeEnvironment()
    }

    // MARK: Reading

    /// The number of committed records (mdb_stat's entry count).
    public var count: Int {
        get throws {
            let txn = try beginReadTransaction()
            defer { mdb_txn_abort(txn) }
            var dbi = MDB_dbi()
            try check(mdb_dbi_open(txn, nil, 0, &dbi), "mdb_dbi_open")
            var stat = MDB_stat()
            try check(mdb_stat(txn, dbi, &stat), "mdb_stat")
            return Int(stat.ms_entries)
        }
    }

    /// A cursor over the committed records in key order, positioned before the first.
    public func makeCursor() throws -> LMDBCursor {
        let txn = try beginReadTransaction()
        var dbi = MDB_dbi()
        var cursor: OpaquePointer?
        do {
            try check(mdb_dbi_open(txn, nil, 0, &dbi), "mdb_dbi_open")
            try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        let result = LMDBCursor(database: self, txn: txn, cursor: cursor)
        cursors.removeAll { $0.cursor == nil }
        cursors.append(WeakCursor(cursor: result))
        return result
    }

    /// The committed value stored under `key`, or nil.
    public func value(forKey key: String) throws -> [UInt8]? {
        let txn = try beginReadTransaction()
        defer { mdb_txn_abort(txn) }
        var dbi = MDB_dbi()
        try check(mdb_dbi_open(txn, nil, 0, &dbi), "mdb_dbi_open")
        var keyBytes = Array(key.utf8)
        return try keyBytes.withUnsafeMutableBytes { k -> [UInt8]? in
            var keyVal = MDB_val(mv_size: k.count, mv_data: k.baseAddress)
            var dataVal = MDB_val()
            let rc = mdb_get(txn, dbi, &keyVal, &dataVal)
            if rc == MDB_NOTFOUND { return nil }
            if rc == MDB_BAD_VALSIZE { return nil }  // empty or over-long key: cannot be stored
            try check(rc, "mdb_get")
            return LMDBDatabase.bytes(dataVal)
        }
    }

    // MARK: Writing

    /// Records put since the last commit.
    public var pendingCount: Int { pending.count }

    /// Buffers one record; `commit()` writes it. An existing key is overwritten.
    public func put(key: String, value: [UInt8]) throws {
        try requireWritable("put")
        let keyBytes = Array(key.utf8)
        guard !keyBytes.isEmpty else {
            throw SwiftCaffeError(.io, "cannot put into LMDB '\(path)': the key is empty")
        }
        if let env {
            let maxKey = Int(mdb_env_get_maxkeysize(env))
            guard keyBytes.count <= maxKey else {
                throw SwiftCaffeError(.io, "cannot put into LMDB '\(path)': key '\(key)' is \(keyBytes.count) "
                                      + "bytes; LMDB keys hold at most \(maxKey)")
            }
        }
        pending.append((keyBytes, value))
    }

    /// Buffers one record; `commit()` writes it.
    public func put(key: String, value: Data) throws {
        try put(key: key, value: [UInt8](value))
    }

    /// Writes the buffered records in one transaction, doubling the map size and
    /// retrying whenever LMDB reports MDB_MAP_FULL.
    public func commit() throws {
        try requireWritable("commit")
        guard !pending.isEmpty else { return }
        while true {
            var txn: OpaquePointer?
            try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
            var dbi = MDB_dbi()
            var rc = mdb_dbi_open(txn, nil, 0, &dbi)
            if rc != MDB_SUCCESS {
                mdb_txn_abort(txn)
                try check(rc, "mdb_dbi_open")
            }
            var full = false
            for index in pending.indices {
                rc = Self.put(txn: txn, dbi: dbi, key: pending[index].key, value: pending[index].value)
                if rc == MDB_MAP_FULL { full = true; break }
                if rc != MDB_SUCCESS {
                    mdb_txn_abort(txn)
                    let key = String(decoding: pending[index].key, as: UTF8.self)
                    throw SwiftCaffeError(.io, "LMDB '\(path)': mdb_put of record '\(key)' failed: \(Self.message(rc))")
                }
            }
            if full {
                mdb_txn_abort(txn)
            } else {
                rc = mdb_txn_commit(txn)  // frees the transaction, success or not
                if rc == MDB_MAP_FULL {
                    full = true
                } else {
                    if rc == EIO && Self.isFull(path) {
                        // LMDB reports a short write (what a full disk gives) as EIO.
                        throw SwiftCaffeError(.io, "LMDB '\(path)': mdb_txn_commit failed: No space left on device",
                                              hint: "free some space on that disk or write the database elsewhere")
                    }
                    try check(rc, "mdb_txn_commit")
                    pending.removeAll(keepingCapacity: true)
                    return
                }
            }
            try doubleMapSize()
        }
    }

    /// The current memory-map size in bytes.
    public var mapSize: Int {
        guard let env else { return 0 }
        var info = MDB_envinfo()
        guard mdb_env_info(env, &info) == MDB_SUCCESS else { return 0 }
        return info.me_mapsize
    }

    // MARK: Closing

    /// Commits any buffered records (when writing), ends open cursors and closes the
    /// environment. Safe to call more than once.
    public func close() throws {
        guard env != nil else { return }
        if mode == .create && !pending.isEmpty {
            try commit()
        }
        closeEnvironment()
    }

    public var isOpen: Bool { env != nil }

    private func closeEnvironment() {
        for box in cursors { box.cursor?.close() }
        cursors.removeAll()
        pending.removeAll()
        if let env { mdb_env_close(env) }
        env = nil
    }

    // MARK: Helpers

    private func requireWritable(_ operation: String) throws {
        guard env != nil else {
            throw SwiftCaffeError(.io, "LMDB '\(path)': \(operation) after close")
        }
        guard mode == .create else {
            throw SwiftCaffeError(.io, "LMDB '\(path)' is open read-only: cannot \(operation)")
        }
    }

    /// Begins a read-only transaction. When another process has grown the map
    /// (MDB_MAP_RESIZED) and no cursor is open here, adopts the new size and retries once.
    fileprivate func beginReadTransaction() throws -> OpaquePointer? {
        guard let env else {
            throw SwiftCaffeError(.io, "LMDB '\(path)': read after close")
        }
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        cursors.removeAll { $0.cursor?.isOpen != true }
        if rc == MDB_MAP_RESIZED && cursors.isEmpty {  // remapping under an open cursor is unsafe
            try check(mdb_env_set_mapsize(env, 0), "mdb_env_set_mapsize")
            rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        }
        try check(rc, "mdb_txn_begin")
        return txn
    }

    /// mkdir -p, with the system's reason when it fails ("Read-only file system").
    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o777) == 0 || errno == EEXIST { return }
        let parent = (path as NSString).deletingLastPathComponent
        if errno == ENOENT && !parent.isEmpty && parent != path {
            try makeDirectory(parent)
            if mkdir(path, 0o777) == 0 || errno == EEXIST { return }
        }
        throw SwiftCaffeError(.io, "cannot create LMDB database directory '\(path)': \(String(cString: strerror(errno)))")
    }

    /// LMDB's lock file is a memory map: on a full disk its first touch dies of SIGBUS
    /// instead of failing. Reserving its blocks first turns that into an error. 8 KiB is
    /// the size LMDB gives it for its default 126 readers (it grows the file if not).
    private static func reserveLockFile(in path: String) throws {
        let lockFile = (path as NSString).appendingPathComponent("lock.mdb")
        let fd = open(lockFile, O_RDWR | O_CREAT, 0o664)
        guard fd >= 0 else {
            throw SwiftCaffeError(.io, "cannot create '\(lockFile)': \(String(cString: strerror(errno)))")
        }
        let rc = posix_fallocate(fd, 0, 8192)
        Glibc.close(fd)
        guard rc == 0 || rc == EOPNOTSUPP || rc == EINVAL else {
            unlink(lockFile)
            throw SwiftCaffeError(.io, "cannot create LMDB database '\(path)': \(String(cString: strerror(rc)))")
        }
    }

    /// A data.mdb shorter than its committed pages (a copy or download cut short) is
    /// refused here: LMDB maps the file and would die of SIGBUS on the first page past
    /// its end instead of reporting an error.
    private func checkComplete(_ env: OpaquePointer?, dataFile: String) throws {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        try check(mdb_env_stat(env, &stat), "mdb_env_stat")
        let needed = (Int(info.me_last_pgno) + 1) * Int(stat.ms_psize)
        let size = ((try? FileManager.default.attributesOfItem(atPath: dataFile))?[.size] as? Int) ?? 0
        fileSize = size
        guard size >= needed else {
            throw SwiftCaffeError(.io, "LMDB database '\(path)' is truncated: data.mdb has \(size) bytes but its "
                                  + "records reach byte \(needed)",
                                  hint: "the file was cut short (an unfinished copy or download?): copy it again "
                                      + "or rebuild it with convert-imageset or convert-mnist")
        }
    }

    private func doubleMapSize() throws {
        let current = mapSize
        // Remapping would pull the pages out from under an open cursor's snapshot.
        cursors.removeAll { $0.cursor?.isOpen != true }
        guard cursors.isEmpty else {
            throw SwiftCaffeError(.io, "LMDB '\(path)': the database is full and its map cannot grow "
                                  + "while cursors are open on it", hint: "close the cursors before commit()")
        }
        guard current > 0, current <= Int.max / 2 else {
            throw SwiftCaffeError(.io, "LMDB '\(path)': the database is full and its map size (\(current) bytes) cannot grow")
        }
        try check(mdb_env_set_mapsize(env, current * 2), "mdb_env_set_mapsize (growing to \(current * 2) bytes)")
    }

    private static func put(txn: OpaquePointer?, dbi: MDB_dbi, key: [UInt8], value: [UInt8]) -> Int32 {
        var key = key
        var value = value
        var zero: UInt8 = 0
        return key.withUnsafeMutableBytes { k in
            value.withUnsafeMutableBytes { v in
                withUnsafeMutablePointer(to: &zero) { z in
                    var keyVal = MDB_val(mv_size: k.count, mv_data: k.baseAddress)
                    var dataVal = MDB_val(mv_size: v.count, mv_data: v.baseAddress ?? UnsafeMutableRawPointer(z))
                    return mdb_put(txn, dbi, &keyVal, &dataVal, 0)
                }
            }
        }
    }

    /// Whether the file system holding `path` has (almost) no room left for us.
    private static func isFull(_ path: String) -> Bool {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) < 64 * 1024
    }

    /// Whether `val` can be a record of the file (not checked when writing).
    fileprivate func fitsInFile(_ val: MDB_val) -> Bool {
        guard let fileSize else { return true }
        return val.mv_size <= fileSize && (val.mv_size == 0 || val.mv_data != nil)
    }

    fileprivate static func bytes(_ val: MDB_val) -> [UInt8] {
        guard val.mv_size > 0, let base = val.mv_data else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: base, count: val.mv_size))
    }

    fileprivate static func message(_ rc: Int32) -> String {
        guard let text = mdb_strerror(rc) else { return "LMDB error \(rc)" }
        return String(cString: text)
    }

    fileprivate func check(_ rc: Int32, _ operation: String) throws {
        guard rc != MDB_SUCCESS else { return }
        throw SwiftCaffeError(.io, "LMDB '\(path)': \(operation) failed: \(Self.message(rc))")
    }
}

private struct WeakCursor {
    weak var cursor: LMDBCursor?
}

/// Iterates a database's records in key order inside one read-only transaction (a
/// consistent snapshot). Caffe's Data layer loops over its database: `next(looping:)`
/// rewinds to the first record after the last.
public final class LMDBCursor {
    public let database: LMDBDatabase
    private var txn: OpaquePointer?
    private var cursor: OpaquePointer?
    private var started = false
    /// The key last returned, for errors about what follows it.
    private var lastKey: String?

    fileprivate init(database: LMDBDatabase, txn: OpaquePointer?, cursor: OpaquePointer?) {
        self.database = database
        self.txn = txn
        self.cursor = cursor
    }

    deinit { close() }

    /// The next record in key order, or nil after the last one (with `looping`, the
    /// first record again; nil only when the database is empty).
    public func next(looping: Bool = false) throws -> (key: String, value: [UInt8])? {
        guard let cursor else {
            throw SwiftCaffeError(.io, "LMDB '\(database.path)': cursor used after close")
        }
        var keyVal = MDB_val()
        var dataVal = MDB_val()
        var rc = mdb_cursor_get(cursor, &keyVal, &dataVal, started ? MDB_NEXT : MDB_FIRST)
        started = true
        if rc == MDB_NOTFOUND && looping {
            rc = mdb_cursor_get(cursor, &keyVal, &dataVal, MDB_FIRST)
        }
        if rc == MDB_NOTFOUND { return nil }
        guard rc == MDB_SUCCESS, database.fitsInFile(keyVal), database.fitsInFile(dataVal) else {
            let position = lastKey.map { "the record after '\($0)'" } ?? "the first record"
            let reason = rc == MDB_SUCCESS ? "its size is larger than data.mdb" : LMDBDatabase.message(rc)
            throw SwiftCaffeError(.io, "LMDB '\(database.path)': cannot read \(position): \(reason)",
                                  hint: "the database is damaged; rebuild it with convert-imageset or convert-mnist")
        }
        let key = String(decoding: LMDBDatabase.bytes(keyVal), as: UTF8.self)
        lastKey = key
        return (key, LMDBDatabase.bytes(dataVal))
    }

    public var isOpen: Bool { cursor != nil }

    /// Goes back before the first record: the next `next()` returns it.
    public func rewind() {
        started = false
        lastKey = nil
    }

    /// Ends the cursor's read transaction. Safe to call more than once.
    public func close() {
        if let cursor { mdb_cursor_close(cursor) }
        if let txn { mdb_txn_abort(txn) }
        cursor = nil
        txn = nil
    }
}
