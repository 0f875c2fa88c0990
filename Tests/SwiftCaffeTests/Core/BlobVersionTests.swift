import XCTest
@testable import SwiftCaffe

/// `dataVersion` moves whenever the values may have changed, and only then: engines
/// keep converted copies of parameters (oneDNN's blocked weights) keyed on it, so a
/// missed change would compute with stale weights and a spurious one costs a conversion.
final class BlobVersionTests: XCTestCase {
    func testEveryWayOfWritingMovesTheVersion() throws {
        let blob = Blob(2, 3)
        var seen = [blob.dataVersion]
        func changed(_ what: String, _ write: () throws -> Void) rethrows {
            try write()
            XCTAssertFalse(seen.contains(blob.dataVersion), "\(what) kept the version")
            seen.append(blob.dataVersion)
        }
        changed("data") { blob.data[0] = 1 }
        changed("dataBuffer") { blob.dataBuffer[1] = 2 }
        changed("setData") { blob.setData([1, 2, 3, 4, 5, 6]) }
        changed("fillData") { blob.fillData(3) }
        changed("dataForOverwrite") { blob.dataForOverwrite[2] = 4 }
        try changed("reshape") { try blob.reshape([3, 2]) }
        final class Copy: EngineCopy { func convert(into plain: UnsafeMutablePointer<Float>) {} }
        changed("setEngineData") { blob.setEngineData(Copy()) }
    }

    func testReadingDoesNotMoveTheVersion() throws {
        let blob = Blob(4)
        blob.setData([1, 2, 3, 4])
        let version = blob.dataVersion
        XCTAssertEqual(blob.readOnlyData[3], 4)
        _ = blob.diff
        blob.fillDiff(1)
        try blob.reshape([4])  // the same shape
        XCTAssertEqual(blob.dataVersion, version)
    }
}
