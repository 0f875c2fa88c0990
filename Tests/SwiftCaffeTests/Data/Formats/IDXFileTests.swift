import Foundation
import XCTest
@testable import SwiftCaffe

final class IDXFileTests: XCTestCase {
    func testReadsPlainAndGzippedFiles() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        for gzip in [false, true] {
            let suffix = gzip ? ".gz" : ""
            let imagesURL = dir.appendingPathComponent("images-idx3-ubyte\(suffix)")
            let labelsURL = dir.appendingPathComponent("labels-idx1-ubyte\(suffix)")
            try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 5), to: imagesURL, gzip: gzip)
            try IDXTestFiles.write(IDXTestFiles.labelBytes(count: 5), to: labelsURL, gzip: gzip)
            if gzip {
                let raw = try Data(contentsOf: imagesURL)
                XCTAssertEqual(Array(raw.prefix(2)), [0x1f, 0x8b])
            }
            let images = try IDXFile.readImages(path: imagesURL.path)
            XCTAssertEqual(images.count, 5)
            XCTAssertEqual(images.rows, 4)
            XCTAssertEqual(images.columns, 3)
            XCTAssertEqual(images.pixels.count, 60)
            for i in 0..<5 { XCTAssertEqual(Array(images.image(i)), IDXTestFiles.pixels(image: i)) }
            let labels = try IDXFile.readLabels(path: labelsURL.path)
            XCTAssertEqual(labels.labels, [0, 3, 6, 9, 2])
        }
    }

    func testLargeGzippedFileStreamsThroughSeveralChunks() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("big.gz")
        let bytes = IDXTestFiles.imageBytes(count: 3000, rows: 28, columns: 28)  // ~2.3 MB
        try IDXTestFiles.write(bytes, to: url, gzip: true)
        let images = try IDXFile.readImages(path: url.path)
        XCTAssertEqual(images.count, 3000)
        XCTAssertEqual(images.pixels, Array(bytes[16...]))
    }

    func testBadMagicNamesTheFile() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("labels")
        try IDXTestFiles.write(IDXTestFiles.labelBytes(count: 2), to: url)
        let error = TestSupport.error { _ = try IDXFile.readImages(path: url.path) }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertEqual(error?.message,
                       "'\(url.path)' is not an IDX image file (magic 0x00000801, expected 0x00000803)")
        XCTAssertNotNil(error?.hint)  // a label file: arguments swapped?

        let other = dir.appendingPathComponent("other")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 1, magic: 0xdeadbeef), to: other)
        let error2 = TestSupport.error { _ = try IDXFile.readImages(path: other.path) }
        XCTAssertEqual(error2?.message,
                       "'\(other.path)' is not an IDX image file (magic 0xdeadbeef, expected 0x00000803)")
        let error3 = TestSupport.error { _ = try IDXFile.readLabels(path: other.path) }
        XCTAssertTrue(error3?.message.contains("is not an IDX label file") ?? false, "\(String(describing: error3))")
    }

    func testTruncatedFiles() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        for gzip in [false, true] {
            let images = dir.appendingPathComponent("short-images\(gzip ? ".gz" : "")")
            try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 3, dropping: 5), to: images, gzip: gzip)
            let error = TestSupport.error { _ = try IDXFile.readImages(path: images.path) }
            XCTAssertEqual(error?.kind, .io)
            XCTAssertTrue(error?.message.contains("'\(images.path)' is truncated") ?? false, "\(String(describing: error))")
            XCTAssertTrue(error?.message.contains("3 images of 4×3") ?? false, "\(String(describing: error))")

            let labels = dir.appendingPathComponent("short-labels\(gzip ? ".gz" : "")")
            try IDXTestFiles.write(Array(IDXTestFiles.labelBytes(count: 4).dropLast()), to: labels, gzip: gzip)
            let error2 = TestSupport.error { _ = try IDXFile.readLabels(path: labels.path) }
            XCTAssertTrue(error2?.message.contains("truncated") ?? false, "\(String(describing: error2))")
        }
        let header = dir.appendingPathComponent("header")
        try IDXTestFiles.write(Array(IDXTestFiles.imageBytes(count: 0).prefix(10)), to: header)
        let error = TestSupport.error { _ = try IDXFile.readImages(path: header.path) }
        XCTAssertTrue(error?.message.contains("truncated") ?? false, "\(String(describing: error))")
    }

    func testCorruptAndTruncatedGzip() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let url = dir.appendingPathComponent("images.gz")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 200), to: url, gzip: true)
        let good = [UInt8](try Data(contentsOf: url))

        let cut = dir.appendingPathComponent("cut.gz")
        try Data(good.prefix(good.count / 2)).write(to: cut)
        let error = TestSupport.error { _ = try IDXFile.readImages(path: cut.path) }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertTrue(error?.message.contains("'\(cut.path)' is not valid gzip data") ?? false, "\(String(describing: error))")

        var garbled = good
        for i in 12..<min(good.count - 8, 60) { garbled[i] = 0xff }
        let bad = dir.appendingPathComponent("bad.gz")
        try Data(garbled).write(to: bad)
        let error2 = TestSupport.error { _ = try IDXFile.readImages(path: bad.path) }
        XCTAssertTrue(error2?.message.contains("'\(bad.path)'") ?? false, "\(String(describing: error2))")
    }

    func testMissingFile() throws {
        let error = TestSupport.error { _ = try IDXFile.readLabels(path: "/no/such/labels-idx1-ubyte") }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertEqual(error?.message, "IDX file '/no/such/labels-idx1-ubyte' does not exist")
    }
}
