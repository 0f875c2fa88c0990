import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Damaged LMDB files, read as a user would read them (compute-image-mean reads every
/// record; the Data layer's reader the same way): a clear error naming the database
/// and the record, never a crash. Run through the executable so that a crash (a
/// SIGBUS from a truncated memory map, say) fails the test instead of the whole run.
final class LMDBFaultTests: XCTestCase {
    private var directory: URL!
    private var db: String!
    private var dataFile: String { db + "/data.mdb" }

    /// A database of 16 raw 1×28×28 records made by convert-mnist (16 keeps every image distinct).
    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        let images = directory.appendingPathComponent("images.idx"), labels = directory.appendingPathComponent("labels.idx")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 16, rows: 28, columns: 28), to: images)
        try IDXTestFiles.write(IDXTestFiles.labelBytes(count: 16), to: labels)
        db = directory.appendingPathComponent("mnist_lmdb").path
        let r = try SwiftCaffeExecutable.run(["convert-mnist", images.path, labels.path, db])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    private func meanOfDatabase() throws -> SwiftCaffeExecutable.Result {
        try SwiftCaffeExecutable.run(["compute-image-mean", db, directory.appendingPathComponent("mean.binaryproto").path])
    }

    private func assertCleanFailure(_ r: SwiftCaffeExecutable.Result, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, "exit status (a signal would be > 128): " + r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("'\(db!)'"), "names the database: " + r.stderr, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("mean.binaryproto").path),
                       file: file, line: line)
    }

    private func rewrite(_ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dataFile)))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: dataFile))
    }

    func testTruncatedDatabase() throws {
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dataFile)[.size] as? Int)
        for keep in [size / 2, 3 * 4096, 100] {
            try rewrite { $0 = Array($0.prefix(keep)) }
            let r = try meanOfDatabase()
            assertCleanFailure(r)
            XCTAssertTrue(r.stderr.contains("truncated") || r.stderr.contains("not a valid LMDB"), "\(keep) bytes: " + r.stderr)
        }
    }

    func testCorruptedRecordNamesItsKey() throws {
        // Record 00000007's value: a Datum whose pixels are IDXTestFiles' image 7.
        let pixels = IDXTestFiles.pixels(image: 7, rows: 28, columns: 28)
        try rewrite { bytes in
            guard let start = Self.find(pixels, in: bytes) else { return XCTFail("record 7 not found in data.mdb") }
            // The 9 bytes of the Datum before its pixels (channels, height, width, data's tag
            // and length) become a varint that never ends: not a protobuf message any more.
            for i in (start - 9)..<start { bytes[i] = 0xff }
        }
        let r = try meanOfDatabase()
        assertCleanFailure(r)
        XCTAssertTrue(r.stderr.contains("record '00000007'"), r.stderr)
    }

    func testCorruptedPagesNameTheDatabase() throws {
        // Scribble over every page after the first two (the meta pages): the B-tree's
        // branch and leaf pages are garbage.
        try rewrite { bytes in
            var state: UInt64 = 42
            for i in (2 * 4096)..<bytes.count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
            }
        }
        let r = try meanOfDatabase()
        assertCleanFailure(r)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
