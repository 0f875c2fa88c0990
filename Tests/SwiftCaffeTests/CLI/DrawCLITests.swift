import Foundation
import XCTest
@testable import SwiftCaffe

/// `swiftcaffe draw` end to end: DOT, SVG and PNG files, and what happens without Graphviz.
final class DrawCLITests: XCTestCase {
    let caffeNet = "models/bvlc_reference_caffenet/deploy.prototxt"

    func requireDot() throws {
        guard Graphviz.findExecutable("dot", in: ProcessInfo.processInfo.environment["PATH"]) != nil else {
            throw XCTSkip("Graphviz 'dot' is not installed (scripts/setup installs it)")
        }
    }

    func testDotFileAndStandardOutput() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("caffenet.dot").path
        let r = try SwiftCaffeExecutable.run(["draw", caffeNet, "-o", path, "--rankdir", "LR"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Wrote \(path) (24 layers, 24 edges)\n")
        let dot = try ParsedDOT(try String(contentsOfFile: path, encoding: .utf8))
        XCTAssertEqual(dot.graph["rankdir"], "LR")
        XCTAssertEqual(dot.nodes.count, 25, "24 layers and the output")
        XCTAssertNotNil(dot.node(named: "conv2").flatMap { dot.labelLines(of: $0).contains("group 2") ? $0 : nil })

        let printed = try SwiftCaffeExecutable.run(["draw", caffeNet])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let fromStdout = try ParsedDOT(printed.stdout)
        XCTAssertEqual(fromStdout.graph["rankdir"], "TB")
        XCTAssertEqual(fromStdout.edges.count, dot.edges.count)
    }

    func testSVGAndPNGThroughGraphviz() throws {
        try requireDot()
        let dir = try TestSupport.temporaryDirectory(self)
        let svgPath = dir.appendingPathComponent("caffenet.svg").path
        let svg = try SwiftCaffeExecutable.run(["draw", "models/bvlc_reference_caffenet/train_val.prototxt",
                                                "--phase", "TRAIN", "-o", svgPath])
        XCTAssertEqual(svg.status, 0, svg.stderr)
        let text = try String(contentsOfFile: svgPath, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<?xml") || text.hasPrefix("<svg"), String(text.prefix(100)))
        XCTAssertTrue(text.contains("<svg") && text.contains("</svg>"))
        XCTAssertTrue(text.contains("SoftmaxWithLoss") && text.contains("256×96×55×55"))

        let pngPath = dir.appendingPathComponent("caffenet.png").path
        let png = try SwiftCaffeExecutable.run(["draw", caffeNet, "-o", pngPath])
        XCTAssertEqual(png.status, 0, png.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pngPath))
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }

    /// PATH pointing at an empty folder: no `dot`, a clear error, no file, and .dot still works.
    func testWithoutGraphvizSVGFailsClearlyAndDOTStillWorks() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let empty = dir.appendingPathComponent("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = empty.path
        let svgPath = dir.appendingPathComponent("net.svg").path
        let r = try SwiftCaffeExecutable.run(["draw", caffeNet, "-o", svgPath], environment: environment)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("error: Graphviz's 'dot' program is not installed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: install it with 'apt-get install graphviz'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: svgPath))
        let dotPath = dir.appendingPathComponent("net.dot").path
        let dot = try SwiftCaffeExecutable.run(["draw", caffeNet, "-o", dotPath], environment: environment)
        XCTAssertEqual(dot.status, 0, dot.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dotPath))
    }

    func testUnknownExtensionAndBadOptions() throws {
        let r = try SwiftCaffeExecutable.run(["draw", caffeNet, "-o", "net.jpg"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("cannot tell the format of 'net.jpg'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: end the file name in .svg, .png or .dot"), r.stderr)
        let rankdir = try SwiftCaffeExecutable.run(["draw", caffeNet, "--rankdir", "BT"])
        XCTAssertEqual(rankdir.status, 64, rankdir.stderr)
        let missing = try SwiftCaffeExecutable.run(["draw", "no/such/net.prototxt"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no/such/net.prototxt"), missing.stderr)
    }
}
