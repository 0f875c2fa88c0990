import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class ConvertImagesetTests: XCTestCase {
    /// A folder with a colour PNG, a colour JPEG (in a sub-folder whose name has a
    /// space) and a gray PNG, and a list naming them.
    private struct Fixture {
        var root: URL
        var list: String
        var db: String
        var images: [String: Image8]
        var files: [String: [UInt8]]
    }

    private func makeFixture(listText: String? = nil) throws -> Fixture {
        let dir = try TestSupport.temporaryDirectory(self)
        let root = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub dir"), withIntermediateDirectories: true)
        let images: [String: (Image8, ImageCodec.Format)] = [
            "a.png": (TestImages.noise(channels: 3, height: 4, width: 5), .png),
            "sub dir/b b.jpg": (TestImages.gradient(channels: 3, height: 4, width: 5), .jpg),
            "c.png": (TestImages.noise(channels: 1, height: 4, width: 5, seed: 3), .png),
        ]
        var files: [String: [UInt8]] = [:]
        for (name, (image, format)) in images {
            let bytes = try ImageCodec.encode(image, format: format)
            try Data(bytes).write(to: root.appendingPathComponent(name))
            files[name] = bytes
        }
        let list = dir.appendingPathComponent("list.txt")
        try (listText ?? "a.png 0\nsub dir/b b.jpg 1\r\n\nc.png 2\n").write(to: list, atomically: true, encoding: .utf8)
        return Fixture(root: root, list: list.path, db: dir.appendingPathComponent("out_lmdb").path,
                       images: images.mapValues { $0.0 }, files: files)
    }

    private func records(_ db: String) throws -> [(key: String, datum: Caffe_Datum)] {
        let database = try LMDBDatabase(path: db, mode: .read)
        defer { try? database.close() }
        let cursor = try database.makeCursor()
        defer { cursor.close() }
        var result: [(key: String, datum: Caffe_Datum)] = []
        while let record = try cursor.nextDatum() { result.append(record) }
        return result
    }

    /// The database's folder holds only the inputs: no DB, no partial.
    private func assertNothingWritten(_ f: Fixture, file: StaticString = #filePath, line: UInt = #line) throws {
        let parent = (f.db as NSString).deletingLastPathComponent
        let names = try FileManager.default.contentsOfDirectory(atPath: parent).sorted()
        XCTAssertEqual(names, ["images", "list.txt"], file: file, line: line)
    }

    private func convert(_ f: Fixture, _ configure: (inout ImagesetConverter.Options) -> Void = { _ in }) throws -> Int {
        var options = ImagesetConverter.Options()
        configure(&options)
        return try ImagesetConverter.convert(root: f.root.path + "/", listFile: f.list, databasePath: f.db, options: options)
    }

    func testRawConversion() throws {
        let f = try makeFixture()
        var calls: [(Int, Int)] = []
        let n = try ImagesetConverter.convert(root: f.root.path, listFile: f.list, databasePath: f.db) { calls.append(($0, $1)) }
        XCTAssertEqual(n, 3)
        XCTAssertEqual(calls.map { [$0.0, $0.1] }, [[3, 3]])
        let recs = try records(f.db)
        XCTAssertEqual(recs.map(\.key), ["00000000_a.png", "00000001_sub dir/b b.jpg", "00000002_c.png"])
        XCTAssertEqual(recs.map(\.datum.label), [0, 1, 2])
        for (_, datum) in recs {
            XCTAssertFalse(datum.encoded)
            XCTAssertEqual([datum.channels, datum.height, datum.width], [3, 4, 5])
        }
        XCTAssertEqual([UInt8](recs[0].datum.data), f.images["a.png"]!.pixels)
        let jpeg = Image8(channels: 3, height: 4, width: 5, pixels: [UInt8](recs[1].datum.data))
        XCTAssertLessThan(TestImages.meanAbsoluteError(jpeg, f.images["sub dir/b b.jpg"]!), 3)
        let gray = f.images["c.png"]!.pixels
        XCTAssertEqual([UInt8](recs[2].datum.data), gray + gray + gray)
        let names = try FileManager.default.contentsOfDirectory(atPath: (f.db as NSString).deletingLastPathComponent)
        XCTAssertFalse(names.contains { $0.contains("partial") }, "\(names)")
    }

    func testGray() throws {
        let f = try makeFixture()
        _ = try convert(f) { $0.gray = true }
        let recs = try records(f.db)
        XCTAssertTrue(recs.allSatisfy { $0.datum.channels == 1 && $0.datum.data.count == 20 })
        XCTAssertEqual([UInt8](recs[0].datum.data), f.images["a.png"]!.grayscale().pixels)
        XCTAssertEqual([UInt8](recs[2].datum.data), f.images["c.png"]!.pixels)
    }

    func testShuffleIsAReproduciblePermutation() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let png = try ImageCodec.encode(TestImages.noise(channels: 3, height: 2, width: 2), format: .png)
        try Data(png).write(to: dir.appendingPathComponent("x.png"))
        // The same file twenty times under different labels.
        let list = dir.appendingPathComponent("list.txt")
        try (0..<20).map { "x.png \($0)\n" }.joined().write(to: list, atomically: true, encoding: .utf8)
        var orders: [[Int32]] = []
        for run in 0..<2 {
            let db = dir.appendingPathComponent("db\(run)").path
            var options = ImagesetConverter.Options()
            options.shuffle = true
            try ImagesetConverter.convert(root: dir.path, listFile: list.path, databasePath: db, options: options)
            let recs = try records(db)
            XCTAssertEqual(recs.map(\.key), (0..<20).map { String(format: "%08d_x.png", $0) })
            orders.append(recs.map(\.datum.label))
        }
        XCTAssertEqual(orders[0].sorted(), Array(0..<20))
        XCTAssertNotEqual(orders[0], Array(0..<20))
        XCTAssertEqual(orders[0], orders[1])
    }

    func testEncodedKeepsFileBytesOrReencodes() throws {
        let f = try makeFixture()
        _ = try convert(f) { $0.encoded = true }
        var recs = try records(f.db)
        for (index, name) in ["a.png", "sub dir/b b.jpg"].enumerated() {
            XCTAssertTrue(recs[index].datum.encoded)
            XCTAssertEqual([UInt8](recs[index].datum.data), f.files[name]!)
            XCTAssertFalse(recs[index].datum.hasChannels)  // Caffe sets only data, label and the flag
        }
        // A gray file asked for in colour is re-encoded with three channels.
        let c = try ImageCodec.decode([UInt8](recs[2].datum.data), mode: .native, source: "c")
        XCTAssertEqual(c.channels, 3)

        try FileManager.default.removeItem(atPath: f.db)
        _ = try convert(f) { $0.encoded = true; $0.encodeType = .jpg; $0.resizeHeight = 8; $0.resizeWidth = 6 }
        recs = try records(f.db)
        for (_, datum) in recs {
            XCTAssertEqual(ImageCodec.format(of: [UInt8](datum.data)), .jpg)
            XCTAssertEqual(try ImageCodec.decode([UInt8](datum.data), mode: .native, source: "r").shape.description, "3x8x6")
        }

        try FileManager.default.removeItem(atPath: f.db)
        _ = try convert(f) { $0.encoded = true; $0.encodeType = .png; $0.gray = true }
        recs = try records(f.db)
        XCTAssertEqual([UInt8](recs[2].datum.data), f.files["c.png"]!)  // gray file, gray asked: kept
        XCTAssertEqual(try ImageCodec.decode([UInt8](recs[0].datum.data), mode: .native, source: "a"),
                       f.images["a.png"]!.grayscale())
    }

    func testResizeShapes() throws {
        let f = try makeFixture()
        _ = try convert(f) { $0.resizeHeight = 8; $0.resizeWidth = 6 }
        XCTAssertTrue(try records(f.db).allSatisfy { [$0.datum.channels, $0.datum.height, $0.datum.width] == [3, 8, 6] })
        try FileManager.default.removeItem(atPath: f.db)
        _ = try convert(f) { $0.shorterSide = 2; $0.checkSize = true }
        let recs = try records(f.db)
        XCTAssertTrue(recs.allSatisfy { [$0.datum.channels, $0.datum.height, $0.datum.width] == [3, 2, 2] })
        let expected = f.images["a.png"]!.resizedShorterSide(2).centerCropped(height: 2, width: 2)
        XCTAssertEqual([UInt8](recs[0].datum.data), expected.pixels)
    }

    func testCheckSizeNamesTheOddImage() throws {
        let f = try makeFixture()
        let odd = try ImageCodec.encode(TestImages.noise(channels: 3, height: 6, width: 5), format: .png)
        try Data(odd).write(to: f.root.appendingPathComponent("c.png"))
        let error = TestSupport.error { _ = try self.convert(f) { $0.checkSize = true } }
        XCTAssertEqual(error?.message, "'c.png' is 3x6x5 (channels x height x width) but the first image 'a.png' is 3x4x5")
        XCTAssertEqual(error?.location, SourceLocation(file: f.list, line: 4, column: 1))
        try assertNothingWritten(f)
        XCTAssertEqual(try convert(f), 3)  // without --check_size the sizes may differ
    }

    func testListErrors() throws {
        let cases: [(String, String, Int)] = [
            ("a.png 0\nc.png 1\nimg/a.jpg\n", "'img/a.jpg' has no label", 3),
            ("a.png zero\n", "the label 'zero' of 'a.png' is not an integer", 1),
            ("a.png 1.5\n", "the label '1.5' of 'a.png' is not an integer", 1),
        ]
        for (text, message, line) in cases {
            let f = try makeFixture(listText: text)
            let error = TestSupport.error { _ = try self.convert(f) }
            XCTAssertEqual(error?.message, message)
            XCTAssertEqual(error?.location?.line, line)
            XCTAssertEqual(error?.location?.file, f.list)
            XCTAssertEqual(error?.description.hasPrefix("\(f.list):\(line):1: error: "), true)
            try assertNothingWritten(f)
        }
        let entries = try ImageList.parse("my cat.jpg  -1\n\t\nb.jpg\t7\n", file: "l")
        XCTAssertEqual(entries, [.init(path: "my cat.jpg", label: -1, line: 1), .init(path: "b.jpg", label: 7, line: 3)])

        let f = try makeFixture()
        let missing = TestSupport.error {
            _ = try ImagesetConverter.convert(root: f.root.path, listFile: f.list + ".nope", databasePath: f.db)
        }
        XCTAssertEqual(missing?.message, "the list file '\(f.list).nope' does not exist")
        let empty = try makeFixture(listText: "\n\n")
        XCTAssertTrue(TestSupport.error { _ = try self.convert(empty) }?.message.contains("lists no images") ?? false)
    }

    func testMissingAndBrokenImagesLeaveNothing() throws {
        let f = try makeFixture(listText: "a.png 0\nc.png 2\nnothere.jpg 1\n")
        let missing = TestSupport.error { _ = try self.convert(f) }
        XCTAssertEqual(missing?.message, "the image '\(f.root.path)/nothere.jpg' does not exist")
        XCTAssertEqual(missing?.location?.line, 3)
        try assertNothingWritten(f)

        let g = try makeFixture()
        let jpeg = try ImageCodec.encode(TestImages.noise(channels: 3, height: 64, width: 64), format: .jpg)
        try Data(jpeg.prefix(jpeg.count / 2)).write(to: g.root.appendingPathComponent("sub dir/b b.jpg"))
        let truncated = TestSupport.error { _ = try self.convert(g) { $0.batchSize = 1 } }  // after a commit
        XCTAssertTrue(truncated?.message.hasPrefix("'\(g.root.path)/sub dir/b b.jpg' is not a complete JPEG image") ?? false,
                      truncated?.message ?? "")
        XCTAssertEqual(truncated?.location?.line, 2)
        try assertNothingWritten(g)
    }

    func testRefusesExistingDatabaseAndBadOptions() throws {
        let f = try makeFixture()
        _ = try convert(f)
        let again = TestSupport.error { _ = try self.convert(f) }
        XCTAssertEqual(again?.message, "cannot create database '\(f.db)': it already exists")
        XCTAssertEqual(try records(f.db).count, 3)

        let g = try makeFixture()
        XCTAssertEqual(TestSupport.error { _ = try self.convert(g) { $0.resizeHeight = 5 } }?.kind, .usage)
        XCTAssertEqual(TestSupport.error { _ = try self.convert(g) { $0.shorterSide = 5; $0.resizeHeight = 5; $0.resizeWidth = 5 } }?.kind, .usage)
        XCTAssertEqual(TestSupport.error { _ = try self.convert(g) { $0.encodeType = .png } }?.kind, .usage)
        try assertNothingWritten(g)
    }

    func testCommandLine() throws {
        let f = try makeFixture()
        let r = try SwiftCaffeExecutable.run(["convert-imageset", "--shuffle", "--resize_height", "8", "--resize_width=6", "--check_size",
                                  f.root.path + "/", f.list, f.db])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Processed 3 files.\n")
        XCTAssertEqual(try records(f.db).count, 3)

        let mean = (f.db as NSString).deletingLastPathComponent + "/mean.binaryproto"
        let m = try SwiftCaffeExecutable.run(["compute-image-mean", f.db, mean])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.hasPrefix("Processed 3 files.\nNumber of channels: 3\nmean_value channel [0]: "), m.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: mean))

        let bad = try SwiftCaffeExecutable.run(["convert-imageset", "--resize_height", "8", f.root.path, f.list, f.db + "2"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--resize_height and --resize_width go together"), bad.stderr)
        let broken = try SwiftCaffeExecutable.run(["convert-imageset", f.root.path, f.list + "x", f.db + "3"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderr.hasPrefix("error: the list file"), broken.stderr)
    }
}
