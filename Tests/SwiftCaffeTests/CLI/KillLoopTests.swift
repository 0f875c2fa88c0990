import Foundation
import XCTest

/// `scripts/kill-loop` with a few kills (the full run of 20+ is recorded in
/// docs/reliability.md): kill -9 at random moments of train, convert-mnist and
/// compute-image-mean, each followed by a resume from the newest snapshot or a rerun
/// that finds nothing half-written.
final class KillLoopTests: XCTestCase {
    func testKillNineAtRandomMomentsLosesNothing() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestSupport.packageRoot.appendingPathComponent("scripts/kill-loop").path,
                             "4", SwiftCaffeExecutable.executable.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("kill-loop: 4 kills (2 train, 1 convert-mnist, 1 compute-image-mean;"), output)
    }
}
