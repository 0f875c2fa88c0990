import Foundation
import XCTest
@testable import SwiftCaffe

/// An image that disappears from an ImageData list while `swiftcaffe train` runs:
/// the prefetch thread's error stops training with the file and the list line, no
/// crash, and the snapshots written before stay complete.
final class ImageListFaultTests: XCTestCase {
    func testImageDeletedMidRunStopsTrainingWithTheFileAndListLine() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var list = ""
        for i in 0..<8 {
            let bytes = try ImageCodec.encode(TestImages.noise(channels: 3, height: 6, width: 6, seed: UInt64(i)), format: .png)
            try Data(bytes).write(to: directory.appendingPathComponent("\(i).png"))
            list += "\(i).png \(i % 2)\n"
        }
        try list.write(to: directory.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        try """
            name: "images"
            layer { name: "data" type: "ImageData" top: "data" top: "label"
                    image_data_param { source: "list.txt" batch_size: 2 } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                    inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """.write(to: directory.appendingPathComponent("net.prototxt"), atomically: true, encoding: .utf8)
        try """
            net: "net.prototxt" base_lr: 0.01 lr_policy: "fixed" max_iter: 100000000 display: 0
            snapshot: 20 snapshot_prefix: "snaps/images" random_seed: 1
            """.write(to: directory.appendingPathComponent("solver.prototxt"), atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = SwiftCaffeExecutable.executable
        process.arguments = ["train", "--solver", "solver.prototxt"]
        process.currentDirectoryURL = directory
        let stdout = directory.appendingPathComponent("stdout.txt"), stderr = directory.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        // Training is under way once the first snapshot exists; then the image goes.
        let snapshot = directory.appendingPathComponent("snaps/images_iter_20.solverstate").path
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: snapshot) && process.isRunning && Date() < deadline { usleep(10_000) }
        let early = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot), "no snapshot: " + early)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("5.png"))
        let stopped = Date().addingTimeInterval(120)
        while process.isRunning && Date() < stopped { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()

        let errors = try String(contentsOf: stderr, encoding: .utf8)
        XCTAssertEqual(process.terminationReason, .exit, errors)
        XCTAssertEqual(process.terminationStatus, 1, errors)
        XCTAssertTrue(errors.contains("list.txt:6:1: error:"), errors)
        XCTAssertTrue(errors.contains("the image '5.png' does not exist"), errors)
        XCTAssertTrue(errors.contains("layer 'data'"), errors)
        XCTAssertFalse(errors.contains("Fatal error") || errors.contains("Stack dump"), errors)
        // What was written before the image went is complete.
        let state = try Snapshot.readState(snapshot)
        XCTAssertEqual(state.iter, 20)
        XCTAssertNoThrow(try Net.readWeights(directory.appendingPathComponent(state.learnedNet).path))
    }
}
