import Foundation
import MallocCounter
@testable import SwiftCaffe
import XCTest

/// Reading whole input files. Regression test for the first bug fuzz/ found: every
/// reader of an empty file leaked 4 KiB (Foundation's Data(contentsOf:) and
/// FileManager.contents(atPath:) in Swift 6.3.1), see docs/reliability.md.
final class InputFileTests: XCTestCase {
    func testReadsWholeFilesAndEmptyOnes() throws {
        let folder = try TestSupport.temporaryDirectory(self)
        let bytes = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let full = folder.appendingPathComponent("full").path
        let empty = folder.appendingPathComponent("empty").path
        try bytes.write(to: URL(fileURLWithPath: full))
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertEqual(try InputFile.contents(full), bytes)
        XCTAssertEqual(try InputFile.contents(empty), Data())
        XCTAssertThrowsError(try InputFile.contents(folder.appendingPathComponent("missing").path)) { error in
            XCTAssertEqual((error as? InputFile.Failure)?.reason, "no such file or directory")
        }
        let directory = TestSupport.error { _ = try InputFile.read(folder.path, what: "weights file") }
        XCTAssertEqual(directory?.message, "cannot read weights file '\(folder.path)': is a directory")
    }

    func testEmptyFilesAreRejectedWithoutLeaking() throws {
        let empty = try TestSupport.temporaryDirectory(self).appendingPathComponent("empty").path
        try Data().write(to: URL(fileURLWithPath: empty))
        func readAll() {
            XCTAssertEqual(TestSupport.error { _ = try Net.readWeights(empty) }?.message,
                           "weights file '\(empty)' is empty")
            XCTAssertNotNil(TestSupport.error { _ = try Snapshot.readState(empty) })
            XCTAssertNotNil(TestSupport.error { _ = try MeanFile(path: empty) })
            XCTAssertNotNil(TestSupport.error { _ = try IDXFile.readImages(path: empty) })
        }
        readAll()  // first use: caches, error descriptions
        let before = malloc_counter_bytes_in_use()
        for _ in 0..<500 { readAll() }
        let growth = malloc_counter_bytes_in_use() - before
        // The leak was 4 KiB per read, 8 MiB here; allow other threads' noise.
        XCTAssertLessThan(growth, 1 << 20, "reading empty files 2000 times kept \(growth) bytes")
    }
}
