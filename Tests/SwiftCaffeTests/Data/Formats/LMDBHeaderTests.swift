import CaffeProto
import Foundation
@testable import SwiftCaffe
import XCTest

/// Damaged LMDB databases are refused with an error naming them, before liblmdb maps
/// the file. Regression test for fuzz/'s LMDB target: a data.mdb cut short made
/// liblmdb read past the end of the file, a SIGBUS (docs/reliability.md).
final class LMDBHeaderTests: XCTestCase {
    /// A real database of `count` records; returns its path and data.mdb's bytes.
    private func makeDatabase(count: Int = 40) throws -> (path: String, file: [UInt8]) {
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("train_lmdb").path
        let database = try LMDBDatabase(path: path, mode: .create, mapSize: 1 << 24)
        for i in 0..<count {
            var datum = Caffe_Datum()
            (datum.channels, datum.height, datum.width, datum.label) = (3, 8, 8, Int32(i % 10))
            datum.data = Data((0..<192).map { UInt8(truncatingIfNeeded: $0 + i) })
            try database.put(key: String(format: "%08d", i), value: try datum.serializedBytes() as [UInt8])
        }
        try database.close()
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/data.mdb"))))
    }

    private func write(_ file: [UInt8], to path: String) throws {
        try? FileManager.default.removeItem(atPath: path + "/lock.mdb")
        try Data(file).write(to: URL(fileURLWithPath: path + "/data.mdb"))
    }

    private func openError(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> SwiftCaffeError? {
        TestSupport.error({
            let database = try LMDBDatabase(path: path, mode: .read)
            let cursor = try database.makeCursor()
            while try cursor.nextDatum() != nil {}
        }, file: file, line: line)
    }

    func testAnIntactDatabaseOpens() throws {
        let (path, _) = try makeDatabase()
        let database = try LMDBDatabase(path: path, mode: .read)
        XCTAssertEqual(try database.count, 40)
    }

    func testATruncatedDatabaseIsAnErrorNotACrash() throws {
        let (path, file) = try makeDatabase()
        XCTAssertGreaterThan(file.count, 4 * 4096, "the database should span several pages")
        // Cut at every page boundary past the headers and in the middle of the last page.
        for length in stride(from: 2 * 4096, to: file.count, by: 4096) + [file.count - 100] {
            try write(Array(file.prefix(length)), to: path)
            let error = openError(path)
            XCTAssertEqual(error?.kind, .io)
            XCTAssertEqual(error?.message.hasPrefix("LMDB database '\(path)' is truncated: its header says it has "),
                           true, error?.message ?? "no error for \(length) bytes")
            XCTAssertEqual(error?.message.hasSuffix("but data.mdb is \(length) bytes"), true, error?.message ?? "")
        }
        for length in [0, 100, 4096, 4096 + 100] {
            try write(Array(file.prefix(length)), to: path)
            let error = openError(path)
            XCTAssertEqual(error?.kind, .io)
            XCTAssertEqual(error?.message.contains(path), true, error?.message ?? "no error for \(length) bytes")
        }
    }

    func testAHeaderNamingPagesPastTheEndIsAnError() throws {
        let (path, file) = try makeDatabase()
        // Both header pages: last_pg at 16 + 120, the main table's root at 16 + 24 + 48 + 40.
        for meta in [0, 4096] {
            var damaged = file
            damaged[meta + 136] = 0xFF
            damaged[meta + 137] = 0x7F
            try write(damaged, to: path)
            XCTAssertEqual(openError(path)?.message.contains("is truncated"), true)
            damaged = file
            damaged[meta + 128 + 4] = 0x7F
            try write(damaged, to: path)
            let error = openError(path)
            XCTAssertEqual(error?.message.contains("is corrupt: its header names page"), true, error?.message ?? "")
        }
        // A root naming a header page: liblmdb asserted (root > 1) and aborted.
        for root: UInt8 in [0, 1] {
            var damaged = file
            damaged[4096 + 128] = root
            (4096 + 129..<4096 + 136).forEach { damaged[$0] = 0 }
            try write(damaged, to: path)
            XCTAssertEqual(openError(path)?.message.hasSuffix("its header names page \(root) as a root, a header page"),
                           true)
        }
    }

    /// Bug 4 (fuzz/corpus/lmdb/database_page_size_differs_*): the second header's page
    /// size damaged while the first still says 4096. liblmdb finds the second header one
    /// page in by the first's size, then takes the page size from the newer header — here
    /// the second — and reads that header again at its own size: past the end of the
    /// file, a SIGBUS inside mdb_env_open (for 8192, it maps the tree at the wrong pages).
    func testHeadersDisagreeingOnThePageSizeAreAnError() throws {
        let (path, file) = try makeDatabase()
        // The header fields read little-endian: page size at 16 + 24, txnid at 16 + 128.
        func field(_ at: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(0) { $0 | UInt64(file[at + $1]) << (8 * UInt64($1)) }
        }
        XCTAssertEqual(field(40, 4), 4096)
        XCTAssertEqual(field(4096 + 40, 4), 4096)
        XCTAssertGreaterThan(field(4096 + 144, 8), field(144, 8), "liblmdb must pick the second header")
        XCTAssertLessThan(file.count, 0x7400 + 4096, "a second header one damaged page size in is past the end")
        // 0x7400 is the fuzzer's value (one byte changed); 32768 and 8192 are page sizes
        // liblmdb itself could have written.
        for size: UInt32 in [0x7400, 0x8000, 0x2000] {
            var damaged = file
            (0..<4).forEach { damaged[4096 + 40 + $0] = UInt8(truncatingIfNeeded: size >> (8 * UInt32($0))) }
            try write(damaged, to: path)
            let error = openError(path)
            XCTAssertEqual(error?.kind, .io)
            XCTAssertEqual(error?.message, "LMDB database '\(path)' is corrupt: its two header pages give different "
                           + "page sizes (4096 and \(size) bytes)")
            XCTAssertNotNil(error?.hint)
        }
        // The first header's page size damaged: the second header is looked for 8192 bytes
        // in, finds a tree page, and liblmdb refuses the file itself.
        var damaged = file
        damaged[40 + 1] = 0x20
        try write(damaged, to: path)
        XCTAssertEqual(openError(path)?.message.hasPrefix("'\(path)' is not a valid LMDB database"), true)
        // Undamaged again, it opens.
        try write(file, to: path)
        XCTAssertEqual(try LMDBDatabase(path: path, mode: .read).count, 40)
    }
}
