import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class ConvertMNISTTests: XCTestCase {
    private func writePair(_ dir: URL, images: Int, labels: Int, gzip: Bool = false,
                           imageMagic: UInt32 = 0x803) throws -> (String, String) {
        let suffix = gzip ? ".gz" : ""
        let imagesURL = dir.appendingPathComponent("images-idx3-ubyte\(suffix)")
        let labelsURL = dir.appendingPathComponent("labels-idx1-ubyte\(suffix)")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: images, magic: imageMagic), to: imagesURL, gzip: gzip)
        try IDXTestFiles.write(IDXTestFiles.labelBytes(count: labels), to: labelsURL, gzip: gzip)
        return (imagesURL.path, labelsURL.path)
    }

    private func entries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    func testConvertsToLMDBOfDatums() throws {
        for gzip in [false, true] {
            let dir = try TestSupport.temporaryDirectory(self)
            let (images, labels) = try writePair(dir, images: 7, labels: 7, gzip: gzip)
            let db = dir.appendingPathComponent("mnist_lmdb").path
            var calls: [(Int, Int)] = []
            let n = try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db,
                                               batchSize: 3) { calls.append(($0, $1)) }
            XCTAssertEqual(n, 7)
            XCTAssertEqual(calls.map { $0.0 }, [3, 6, 7])
            XCTAssertTrue(calls.allSatisfy { $0.1 == 7 })
            let names = try entries(dir)
            XCTAssertFalse(names.contains { $0.contains("partial") }, "\(names)")

            let database = try LMDBDatabase(path: db, mode: .read)
            XCTAssertEqual(try database.count, 7)
            let cursor = try database.makeCursor()
            var index = 0
            while let record = try cursor.next() {
                let key = record.key, value = record.value
                XCTAssertEqual(key, String(format: "%08d", index))
                let datum = try Caffe_Datum(lmdbValue: value, key: key, path: db)
                XCTAssertEqual(datum.channels, 1)
                XCTAssertEqual(datum.height, 4)
                XCTAssertEqual(datum.width, 3)
                XCTAssertEqual([UInt8](datum.data), IDXTestFiles.pixels(image: index))
                XCTAssertEqual(datum.label, Int32((index * 3) % 10))
                XCTAssertTrue(datum.floatData.isEmpty)
                XCTAssertFalse(datum.encoded)
                index += 1
            }
            XCTAssertEqual(index, 7)
            cursor.close()
            try database.close()
        }
    }

    func testKeyFormat() {
        XCTAssertEqual(MNISTConverter.key(0), "00000000")
        XCTAssertEqual(MNISTConverter.key(59999), "00059999")
        XCTAssertEqual(MNISTConverter.key(123456789), "123456789")
    }

    func testCountMismatchLeavesNoDatabase() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let (images, labels) = try writePair(dir, images: 5, labels: 4)
        let db = dir.appendingPathComponent("db").path
        let error = TestSupport.error {
            try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db)
        }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertEqual(error?.message, "'\(images)' holds 5 images but '\(labels)' holds 4 labels")
        XCTAssertEqual(try entries(dir), ["images-idx3-ubyte", "labels-idx1-ubyte"])
    }

    func testBadMagicAndTruncatedLeaveNoDatabase() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let (images, labels) = try writePair(dir, images: 3, labels: 3, imageMagic: 0x804)
        let db = dir.appendingPathComponent("db").path
        let error = TestSupport.error {
            try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db)
        }
        XCTAssertTrue(error?.message.contains("'\(images)' is not an IDX image file (magic 0x00000804") ?? false,
                      "\(String(describing: error))")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 3, dropping: 1), to: URL(fileURLWithPath: images))
        let error2 = TestSupport.error {
            try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db)
        }
        XCTAssertTrue(error2?.message.contains("truncated") ?? false, "\(String(describing: error2))")
        XCTAssertEqual(try entries(dir), ["images-idx3-ubyte", "labels-idx1-ubyte"])
    }

    func testFailureDuringWritingLeavesNoDatabase() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let (images, labels) = try writePair(dir, images: 10, labels: 10)
        let db = dir.appendingPathComponent("db").path
        struct Stop: Error {}
        XCTAssertThrowsError(try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db,
                                                        batchSize: 2) { done, _ in
            // Records are already committed to the partial database here.
            XCTAssertTrue(try! self.entries(dir).contains { $0.hasPrefix("db.partial-") })
            if done == 4 {
                // Occupy the final name so the rename must be refused at the end.
                try? FileManager.default.createDirectory(atPath: db, withIntermediateDirectories: false)
            }
        }) { error in
            XCTAssertTrue((error as? SwiftCaffeError)?.message.contains("already exists") ?? false, "\(error)")
        }
        // The directory we created is still there and empty; nothing partial remains.
        XCTAssertEqual(try entries(dir), ["db", "images-idx3-ubyte", "labels-idx1-ubyte"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: db), [])
    }

    func testExistingDatabaseIsRefused() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let (images, labels) = try writePair(dir, images: 2, labels: 2)
        let db = dir.appendingPathComponent("db").path
        try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db)
        let error = TestSupport.error {
            try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db)
        }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertEqual(error?.message, "cannot create database '\(db)': it already exists")
        XCTAssertTrue(error?.hint?.contains("rm -r") ?? false)
        // The first database is untouched.
        let database = try LMDBDatabase(path: db, mode: .read)
        XCTAssertEqual(try database.count, 2)
        try database.close()
    }

    // MARK: The command line

    private func run(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result { try SwiftCaffeExecutable.run(arguments) }

    func testCommandLineEndToEnd() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let (images, labels) = try writePair(dir, images: 6, labels: 6, gzip: true)
        let db = dir.appendingPathComponent("mnist_train_lmdb").path
        let r = try run(["convert-mnist", images, labels, db])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Processed 6 files.\n")
        XCTAssertEqual(r.stderr, "")  // stderr is a pipe: no progress bar
        let database = try LMDBDatabase(path: db, mode: .read)
        XCTAssertEqual(try database.count, 6)
        try database.close()

        let again = try run(["convert-mnist", images, labels, db])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
    }

    func testCommandLineErrors() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let (images, labels) = try writePair(dir, images: 2, labels: 2)
        let db = dir.appendingPathComponent("db").path
        // Arguments swapped: the label file is not an image file.
        let r = try run(["convert-mnist", labels, images, db])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: '\(labels)' is not an IDX image file"), r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertFalse(r.stderr.contains("Stack dump"), r.stderr)

        let backend = try run(["convert-mnist", images, labels, db, "--backend", "leveldb"])
        XCTAssertNotEqual(backend.status, 0)
        XCTAssertTrue(backend.stderr.contains("unsupported backend 'leveldb'"), backend.stderr)
        XCTAssertEqual(try entries(dir), ["images-idx3-ubyte", "labels-idx1-ubyte"])
    }
}
