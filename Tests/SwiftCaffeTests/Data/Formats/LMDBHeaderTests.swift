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
}
