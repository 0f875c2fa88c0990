import XCTest
@testable import SwiftCaffe

/// A blob whose values an engine holds in its own layout converts them to plain NCHW
/// once, when a plain reader first asks, and never for a writer that overwrites.
final class BlobEngineCopyTests: XCTestCase {
    /// A stand-in for an engine's memory: writes `values` (reversed, as a "layout")
    /// and counts the conversions.
    private final class FakeCopy: EngineCopy {
        var values: [Float]
        var conversions = 0
        init(_ values: [Float]) { self.values = values }
        func convert(into plain: UnsafeMutablePointer<Float>) {
            conversions += 1
            for (i, v) in values.reversed().enumerated() { plain[i] = v }
        }
    }

    func testPlainReadConvertsOnceAndDropsTheCopy() {
        let blob = Blob(2, 2)
        let copy = FakeCopy([4, 3, 2, 1])
        blob.setEngineData(copy)
        XCTAssertTrue(blob.engineData === copy)
        XCTAssertEqual(blob.dataArray, [1, 2, 3, 4])
        XCTAssertNil(blob.engineData)
        XCTAssertEqual(blob.dataArray, [1, 2, 3, 4])
        XCTAssertEqual(copy.conversions, 1)
        XCTAssertEqual(blob.diffArray, [0, 0, 0, 0], "the gradient has no copy")
    }

    func testOverwritingDropsTheCopyWithoutConverting() {
        let blob = Blob(3)
        let data = FakeCopy([1, 2, 3]), diff = FakeCopy([4, 5, 6])
        blob.setEngineData(data)
        blob.setEngineDiff(diff)
        blob.fillData(7)
        blob.setDiff([8, 9, 10])
        XCTAssertEqual(blob.dataArray, [7, 7, 7])
        XCTAssertEqual(blob.diffArray, [8, 9, 10])
        XCTAssertEqual(data.conversions + diff.conversions, 0)
    }

    /// A reshape keeps the values (as plain ones): the copy describes the old shape.
    func testReshapeMaterializesTheCopy() throws {
        let blob = Blob(2, 3)
        let diff = FakeCopy([6, 5, 4, 3, 2, 1])
        blob.setEngineDiff(diff)
        try blob.reshape([3, 2])
        XCTAssertNil(blob.engineDiff)
        XCTAssertEqual(diff.conversions, 1)
        XCTAssertEqual(blob.diffArray, [1, 2, 3, 4, 5, 6])
        // The same shape again changes nothing.
        blob.setEngineDiff(diff)
        try blob.reshape([3, 2])
        XCTAssertTrue(blob.engineDiff === diff)
    }
}
