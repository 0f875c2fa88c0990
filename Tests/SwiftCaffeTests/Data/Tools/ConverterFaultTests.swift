import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// convert-mnist, convert-imageset and compute-image-mean writing onto a file system
/// that fills up or refuses writes (a real tmpfs, see ScratchFileSystem): a clear
/// error, no crash, the database or mean file already there intact and loadable, and
/// nothing half-written left behind.
final class ConverterFaultTests: XCTestCase {
    private var inputs: URL!

    override func setUpWithError() throws {
        inputs = try TestSupport.temporaryDirectory(self)
    }

    /// 28×28 IDX images and labels in the inputs folder; returns their paths.
    private func mnist(_ count: Int) throws -> (images: String, labels: String) {
        let images = inputs.appendingPathComponent("images-\(count).idx")
        let labels = inputs.appendingPathComponent("labels-\(count).idx")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: count, rows: 28, columns: 28), to: images)
        try IDXTestFiles.write(IDXTestFiles.labelBytes(count: count), to: labels)
        return (images.path, labels.path)
    }

    private func recordCount(_ db: String) throws -> Int {
        let database = try LMDBDatabase(path: db, mode: .read)
        defer { try? database.close() }
        var n = 0
        let cursor = try database.makeCursor()
        while try cursor.nextDatum() != nil { n += 1 }
        cursor.close()
        return n
    }

    private func assertCleanFailure(_ r: SwiftCaffeExecutable.Result, _ message: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, "exit status (a signal would be > 128): " + r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), r.stderr, file: file, line: line)
    }

    func testConvertMNISTDiskFullKeepsTheExistingDatabaseAndRemovesThePartialOne() throws {
        let fs = try ScratchFileSystem.mount(self, kilobytes: 512)
        let small = try mnist(10), big = try mnist(2_000)   // 2,000 × 784 bytes do not fit
        let existing = fs.path + "/small_lmdb"
        XCTAssertEqual(try SwiftCaffeExecutable.run(["convert-mnist", small.images, small.labels, existing]).status, 0)
        let r = try SwiftCaffeExecutable.run(["convert-mnist", big.images, big.labels, fs.path + "/big_lmdb"])
        assertCleanFailure(r, "No space left on device")
        XCTAssertEqual(try fs.contents(), ["small_lmdb", "small_lmdb/data.mdb", "small_lmdb/lock.mdb"])
        XCTAssertEqual(try recordCount(existing), 10)
    }

    func testAConversionRemovesPartialDatabasesOfKilledRuns() throws {
        let small = try mnist(4)
        let db = inputs.appendingPathComponent("db").path
        try FileManager.default.createDirectory(atPath: db + ".partial-999999999", withIntermediateDirectories: false)  // dead
        try FileManager.default.createDirectory(atPath: db + ".partial-1", withIntermediateDirectories: false)  // init: alive
        XCTAssertEqual(try SwiftCaffeExecutable.run(["convert-mnist", small.images, small.labels, db]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db + ".partial-999999999"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: db + ".partial-1"))
        XCTAssertEqual(try recordCount(db), 4)
    }

    func testConvertMNISTOntoAFullDiskFailsCleanly() throws {
        let fs = try ScratchFileSystem.mount(self, kilobytes: 256)
        fs.fillUp()
        let small = try mnist(10)
        let r = try SwiftCaffeExecutable.run(["convert-mnist", small.images, small.labels, fs.path + "/db"])
        assertCleanFailure(r, "No space left on device")
        XCTAssertEqual(try fs.contents(), ["filler"])
    }

    func testConvertImagesetDiskFullKeepsTheExistingDatabase() throws {
        let root = inputs.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var list = ""
        for i in 0..<300 {   // 300 raw 3×32×32 records: ~900 KiB
            let bytes = try ImageCodec.encode(TestImages.noise(channels: 3, height: 32, width: 32, seed: UInt64(i)), format: .png)
            try Data(bytes).write(to: root.appendingPathComponent("\(i).png"))
            list += "\(i).png \(i % 10)\n"
        }
        try list.write(to: inputs.appendingPathComponent("all.txt"), atomically: true, encoding: .utf8)
        try "0.png 0\n1.png 1\n".write(to: inputs.appendingPathComponent("two.txt"), atomically: true, encoding: .utf8)

        let fs = try ScratchFileSystem.mount(self, kilobytes: 512)
        let existing = fs.path + "/two_lmdb"
        let first = try SwiftCaffeExecutable.run(["convert-imageset", root.path + "/", inputs.path + "/two.txt", existing])
        XCTAssertEqual(first.status, 0, first.stderr)
        let r = try SwiftCaffeExecutable.run(["convert-imageset", root.path + "/", inputs.path + "/all.txt", fs.path + "/all_lmdb"])
        assertCleanFailure(r, "No space left on device")
        XCTAssertEqual(try fs.contents(), ["two_lmdb", "two_lmdb/data.mdb", "two_lmdb/lock.mdb"])
        XCTAssertEqual(try recordCount(existing), 2)
    }

    func testComputeImageMeanDiskFullKeepsTheOldMeanFile() throws {
        let small = try mnist(4)
        let db = inputs.appendingPathComponent("db").path
        XCTAssertEqual(try SwiftCaffeExecutable.run(["convert-mnist", small.images, small.labels, db]).status, 0)
        let fs = try ScratchFileSystem.mount(self, kilobytes: 8)   // two pages: the old mean file and no more
        let mean = fs.path + "/mean.binaryproto"
        XCTAssertEqual(try SwiftCaffeExecutable.run(["compute-image-mean", db, mean]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: mean))
        fs.fillUp()

        let r = try SwiftCaffeExecutable.run(["compute-image-mean", db, mean])
        assertCleanFailure(r, "No space left on device")
        XCTAssertTrue(r.stderr.contains("mean.binaryproto"), r.stderr)
        XCTAssertEqual(try fs.contents(), ["filler", "mean.binaryproto"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: mean)), before)
        XCTAssertNoThrow(try MeanFile(path: mean))
    }

    func testReadOnlyOutputFolder() throws {
        let small = try mnist(4)
        let db = inputs.appendingPathComponent("db").path
        XCTAssertEqual(try SwiftCaffeExecutable.run(["convert-mnist", small.images, small.labels, db]).status, 0)
        let fs = try ScratchFileSystem.mount(self, kilobytes: 64)
        try fs.makeReadOnly()

        let convert = try SwiftCaffeExecutable.run(["convert-mnist", small.images, small.labels, fs.path + "/db"])
        assertCleanFailure(convert, "Read-only file system")
        XCTAssertTrue(convert.stderr.contains(fs.path + "/db"), convert.stderr)
        let mean = try SwiftCaffeExecutable.run(["compute-image-mean", db, fs.path + "/mean.binaryproto"])
        assertCleanFailure(mean, "Read-only file system")
        XCTAssertTrue(mean.stderr.contains("mean.binaryproto"), mean.stderr)
        XCTAssertEqual(try fs.contents(), [])
    }
}
