import Foundation
import XCTest
@testable import SwiftCaffe

/// AtomicFile after a writer was killed mid-write (kill -9 runs no cleanup).
final class AtomicFileTests: XCTestCase {
    func testWritingRemovesTemporariesOfDeadWritersOnly() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let target = dir.appendingPathComponent("mean.binaryproto").path
        let dead = dir.appendingPathComponent(".mean.binaryproto.tmp-999999999").path   // no such process
        let alive = dir.appendingPathComponent(".mean.binaryproto.tmp-1").path          // init: still running
        let other = dir.appendingPathComponent(".other.binaryproto.tmp-999999999").path  // another file's
        for path in [dead, alive, other] { _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2])) }
        try AtomicFile.write(Data([7]), to: target)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), Data([7]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead))
        XCTAssertTrue(FileManager.default.fileExists(atPath: alive))
        XCTAssertTrue(FileManager.default.fileExists(atPath: other))
    }

    func testErrorsNameTheFileAskedFor() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let target = dir.appendingPathComponent("missing/folder/x.caffemodel").path
        let error = TestSupport.error { try AtomicFile.write(Data([1]), to: target) }
        XCTAssertEqual(error?.message, "cannot create '\(target)': No such file or directory")
    }
}
