import CaffeProto
import Foundation
@testable import SwiftCaffe
import XCTest

final class LMDBTests: XCTestCase {
    private var tempRoot: URL!

    override func setUpWithError() throws {
        tempRoot = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftcaffe-lmdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempRoot, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let tempRoot { try? FileManager.default.removeItem(at: tempRoot) }
    }

    private func dbPath(_ name: String = "db_lmdb") -> String {
        tempRoot.appendingPathComponent(name).path
    }

    /// Caffe's key convention: the record index as "%08d".
    private func key(_ index: Int) -> String {
        String(format: "%08d", index)
    }

    private func makeDatum(_ index: Int, channels: Int = 3, height: Int = 4, width: Int = 5) -> Caffe_Datum {
        var datum = Caffe_Datum()
        datum.channels = Int32(channels)
        datum.height = Int32(height)
        datum.width = Int32(width)
        datum.label = Int32(index % 10)
        datum.data = Data((0..<(channels * height * width)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
        return datum
    }

    /// Writes `count` Datum records in insertion order, shuffled into the batch so the
    /// read order has to come from the keys.
    @discardableResult
    private func writeDatums(_ count: Int, at path: String) throws -> [Caffe_Datum] {
        let datums = (0..<count).map { makeDatum($0) }
        let db = try LMDBDatabase(path: path, mode: .create)
        for index in (0..<count).reversed() {
            try db.put(key: key(index), value: try datums[index].serializedBytes() as [UInt8])
        }
        XCTAssertEqual(db.pendingCount, count)
        try db.commit()
        XCTAssertEqual(db.pendingCount, 0)
        try db.close()
        return datums
    }

    private func assertIOError<T>(_ expression: @autoclosure () throws -> T, containing fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try expression()
            XCTFail("expected an error containing \(fragments)", file: file, line: line)
        } catch let error as SwiftCaffeError {
            XCTAssertEqual(error.kind, .io, "\(error)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'",
                              file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    // MARK: Round trip

    func testWriteThenReadInKeyOrder() throws {
        let path = dbPath()
        let datums = try writeDatums(50, at: path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/data.mdb"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/lock.mdb"))

        let db = try LMDBDatabase(path: path, mode: .read)
        XCTAssertEqual(try db.count, 50)
        let cursor = try db.makeCursor()
        var index = 0
        while let (k, datum) = try cursor.nextDatum() {
            XCTAssertEqual(k, key(index))
            XCTAssertEqual(datum, datums[index])
            XCTAssertNoThrow(try datum.validate(key: k, path: path))
            index += 1
        }
        XCTAssertEqual(index, 50)
        XCTAssertNil(try cursor.next(), "stays at the end without looping")
        try db.close()
    }

    func testRewindAndLoopingReturnToFirstRecord() throws {
        let path = dbPath()
        try writeDatums(5, at: path)
        let db = try LMDBDatabase(path: path, mode: .read)
        let cursor = try db.makeCursor()

        XCTAssertEqual(try cursor.next()?.key, key(0))
        XCTAssertEqual(try cursor.next()?.key, key(1))
        cursor.rewind()
        XCTAssertEqual(try cursor.next()?.key, key(0))

        // Caffe's Data layer: after the last record, start over.
        var seen: [String] = []
        for _ in 0..<12 { seen.append(try XCTUnwrap(try cursor.next(looping: true)).key) }
        XCTAssertEqual(seen, [1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2].map(key))
    }

    func testCountAndReopeningReadOnly() throws {
        let path = dbPath()
        let writer = try LMDBDatabase(path: path, mode: .create)
        XCTAssertEqual(try writer.count, 0)
        for i in 0..<10 { try writer.put(key: key(i), value: [UInt8(i)]) }
        XCTAssertEqual(try writer.count, 0, "nothing is visible before commit")
        try writer.commit()
        XCTAssertEqual(try writer.count, 10)
        for i in 10..<17 { try writer.put(key: key(i), value: Data([UInt8(i)])) }
        try writer.close()  // commits the rest
        XCTAssertFalse(writer.isOpen)
        try writer.close()  // a second close is harmless

        for _ in 0..<2 {
            let reader = try LMDBDatabase(path: path, mode: .read)
            XCTAssertEqual(try reader.count, 17)
            XCTAssertEqual(try reader.value(forKey: key(12)), [12])
            XCTAssertNil(try reader.value(forKey: "missing"))
            let cursor = try reader.makeCursor()
            var n = 0
            while let (k, v) = try cursor.next() {
                XCTAssertEqual(k, key(n))
                XCTAssertEqual(v, [UInt8(n)])
                n += 1
            }
            XCTAssertEqual(n, 17)
        }
    }

    func testEmptyDatabase() throws {
        let path = dbPath()
        try LMDBDatabase(path: path, mode: .create).close()
        let db = try LMDBDatabase(path: path, mode: .read)
        XCTAssertEqual(try db.count, 0)
        let cursor = try db.makeCursor()
        XCTAssertNil(try cursor.next())
        XCTAssertNil(try cursor.next(looping: true))
    }

    func testWrittenBytesAreExactlyTheSerializedDatum() throws {
        let path = dbPath()
        var floatDatum = Caffe_Datum()
        floatDatum.channels = 2
        floatDatum.height = 1
        floatDatum.width = 3
        floatDatum.floatData = [0.5, -1, 2, 3.25, 0, 7]
        floatDatum.label = 4
        let datums = [makeDatum(7), floatDatum]

        let db = try LMDBDatabase(path: path, mode: .create)
        for (i, d) in datums.enumerated() { try db.put(key: key(i), value: try d.serializedBytes() as [UInt8]) }
        try db.close()

        let reader = try LMDBDatabase(path: path, mode: .read)
        for (i, d) in datums.enumerated() {
            let expected: [UInt8] = try d.serializedBytes()
            XCTAssertEqual(try reader.value(forKey: key(i)), expected)
        }
        let cursor = try reader.makeCursor()
        _ = try cursor.next()
        let (_, decoded) = try XCTUnwrap(try cursor.nextDatum())
        XCTAssertEqual(decoded, floatDatum)
        XCTAssertNoThrow(try decoded.validate())
    }

    // MARK: Map growth

    func testCommitGrowsTheMapWhenFull() throws {
        let path = dbPath()
        let initial = 1 << 20
        let db = try LMDBDatabase(path: path, mode: .create, mapSize: initial)
        XCTAssertEqual(db.mapSize, initial)
        // 200 × 3×64×64 bytes ≈ 2.4 MB in one transaction: more than twice the map.
        let datums = (0..<200).map { makeDatum($0, channels: 3, height: 64, width: 64) }
        for (i, d) in datums.enumerated() { try db.put(key: key(i), value: try d.serializedBytes() as [UInt8]) }
        try db.commit()
        XCTAssertGreaterThanOrEqual(db.mapSize, 4 * initial, "doubled at least twice")
        XCTAssertEqual(try db.count, 200)
        // A second batch grows it again.
        for i in 200..<400 { try db.put(key: key(i), value: try datums[i % 200].serializedBytes() as [UInt8]) }
        try db.close()

        let reader = try LMDBDatabase(path: path, mode: .read)
        XCTAssertEqual(try reader.count, 400)
        let cursor = try reader.makeCursor()
        var n = 0
        while let (k, datum) = try cursor.nextDatum() {
            XCTAssertEqual(k, key(n))
            XCTAssertEqual(datum, datums[n % 200])
            n += 1
        }
        XCTAssertEqual(n, 400)
    }

    func testMapDoesNotGrowUnderAnOpenCursor() throws {
        let db = try LMDBDatabase(path: dbPath(), mode: .create, mapSize: 1 << 20)
        try db.put(key: key(0), value: [0])
        try db.commit()
        let cursor = try db.makeCursor()
        XCTAssertEqual(try cursor.next()?.key, key(0))
        let big = [UInt8](repeating: 9, count: 64 * 1024)
        for i in 1...40 { try db.put(key: key(i), value: big) }  // 2.5 MiB: needs growing
        assertIOError(try db.commit(), containing: ["cursors are open"])
        XCTAssertEqual(db.pendingCount, 40, "the batch is kept for a retry")
        XCTAssertNil(try cursor.next(), "the cursor's snapshot is intact")
        cursor.close()
        try db.commit()
        XCTAssertEqual(try db.count, 41)
        XCTAssertGreaterThan(db.mapSize, 1 << 20)
    }

    // MARK: Errors

    func testDirectoryWithoutLMDBIsRejected() throws {
        let path = dbPath("empty_dir")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        assertIOError(try LMDBDatabase(path: path, mode: .read),
                      containing: ["'\(path)' is not an LMDB database (no data.mdb)",
                                   "swiftcaffe convert-imageset or convert-mnist"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "/lock.mdb"), "reading creates nothing")
    }

    func testPlainFileIsRejected() throws {
        let path = dbPath("plain.txt")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: path))
        assertIOError(try LMDBDatabase(path: path, mode: .read),
                      containing: ["'\(path)' is not an LMDB database (no data.mdb)", "convert-mnist"])
        assertIOError(try LMDBDatabase(path: path, mode: .create), containing: [path, "a file"])
    }

    func testMissingPathAndCorruptDataFile() throws {
        let missing = dbPath("nowhere")
        assertIOError(try LMDBDatabase(path: missing, mode: .read), containing: [missing, "does not exist"])

        let corrupt = dbPath("corrupt_lmdb")
        try FileManager.default.createDirectory(atPath: corrupt, withIntermediateDirectories: true)
        try Data(repeating: 0xAB, count: 16384).write(to: URL(fileURLWithPath: corrupt + "/data.mdb"))
        assertIOError(try LMDBDatabase(path: corrupt, mode: .read), containing: [corrupt, "not a valid LMDB"])
    }

    func testCreateRefusesAnExistingDatabaseAndReadOnlyRefusesWrites() throws {
        let path = dbPath()
        try writeDatums(3, at: path)
        assertIOError(try LMDBDatabase(path: path, mode: .create), containing: [path, "already exists"])

        let reader = try LMDBDatabase(path: path, mode: .read)
        assertIOError(try reader.put(key: key(9), value: [1]), containing: [path, "read-only"])
        assertIOError(try reader.commit(), containing: [path, "read-only"])
        try reader.close()
        assertIOError(try reader.makeCursor(), containing: [path, "after close"])
        XCTAssertThrowsError(try reader.count)
    }

    func testBadKeysAreReportedNotTrapped() throws {
        let db = try LMDBDatabase(path: dbPath(), mode: .create)
        assertIOError(try db.put(key: "", value: [1]), containing: ["key is empty"])
        assertIOError(try db.put(key: String(repeating: "k", count: 2000), value: [1]), containing: ["at most"])
        XCTAssertEqual(db.pendingCount, 0)
    }

    func testClosingTheDatabaseEndsItsCursors() throws {
        let path = dbPath()
        try writeDatums(3, at: path)
        let db = try LMDBDatabase(path: path, mode: .read)
        let cursor = try db.makeCursor()
        XCTAssertNotNil(try cursor.next())
        try db.close()
        assertIOError(try cursor.next(), containing: ["after close"])
    }

    func testNonDatumRecordIsReported() throws {
        let path = dbPath()
        let db = try LMDBDatabase(path: path, mode: .create)
        try db.put(key: key(0), value: try makeDatum(0).serializedBytes() as [UInt8])
        try db.put(key: key(1), value: [0xFF, 0xFF, 0xFF, 0xFF])  // invalid wire type
        try db.put(key: key(2), value: [0xF8, 0x01, 0x05])          // only an unknown field (31)
        try db.close()

        let reader = try LMDBDatabase(path: path, mode: .read)
        let cursor = try reader.makeCursor()
        XCTAssertNotNil(try cursor.nextDatum())
        assertIOError(try cursor.nextDatum(), containing: ["record '00000001' in '\(path)' is not a Datum: "])
        assertIOError(try cursor.nextDatum(), containing: ["record '00000002' in '\(path)' is not a Datum: "])
    }

    func testValidateChecksPayloadAgainstShape() throws {
        var datum = makeDatum(1)
        XCTAssertNoThrow(try datum.validate())
        datum.data.removeLast()
        assertIOError(try datum.validate(key: "00000001", path: "x_lmdb"),
                      containing: ["record '00000001' in 'x_lmdb'", "59 bytes", "3x4x5", "60"])

        var floats = Caffe_Datum()
        floats.channels = 1
        floats.height = 2
        floats.width = 2
        floats.floatData = [1, 2, 3]
        assertIOError(try floats.validate(), containing: ["3 float_data", "needs 4"])

        var empty = Caffe_Datum()
        empty.channels = 1
        empty.height = 2
        empty.width = 2
        assertIOError(try empty.validate(), containing: ["neither data nor float_data"])

        var negative = makeDatum(0)
        negative.height = -4
        assertIOError(try negative.validate(), containing: ["invalid shape"])

        var encoded = Caffe_Datum()
        encoded.encoded = true
        encoded.data = Data([0xFF, 0xD8, 0xFF])
        XCTAssertNoThrow(try encoded.validate())
        encoded.data = Data()
        assertIOError(try encoded.validate(), containing: ["encoded", "no image data"])
    }
}
