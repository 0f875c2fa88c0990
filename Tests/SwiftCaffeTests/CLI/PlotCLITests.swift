import Foundation
import XCTest
@testable import SwiftCaffe

/// `swiftcaffe plot` and `swiftcaffe report` end to end: on the log of a real
/// `swiftcaffe train` run and on a Caffe glog log; the report rendered by headless
/// Chromium; `report --watch` over a growing log.
final class PlotCLITests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        try write(SolverTests.randomNet, "net.prototxt")
        try write(TrainCLITests.solver(maxIter: 6, snapshot: 0), "solver.prototxt")
        try write(CaffeLogFixture.text, "caffe.log")
    }

    func write(_ text: String, _ name: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func run(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result {
        try SwiftCaffeExecutable.run(arguments, in: directory)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// A real run's log: 6 iterations, display and test every 2.
    func train() throws {
        let r = try run(["train", "--solver", "solver.prototxt", "--log", "train.log"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testPlotOwnLogAndCaffeLogWithCSV() throws {
        try train()
        let r = try run(["plot", "train.log", "caffe.log", "-o", "curves.svg", "--csv", "tables"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Wrote curves.svg (2 runs; panels: train loss, test loss, test accuracy, learning rate)"), r.stdout)
        let svg = try read("curves.svg")
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"legend-entry\"").count - 1, 2)
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"panel\"").count - 1, 4)
        // train loss, test loss and lr for both runs; accuracy only in Caffe's log.
        XCTAssertEqual(svg.components(separatedBy: "data-run=\"train\"").count - 1, 3 + 1)  // + legend entry
        XCTAssertEqual(svg.components(separatedBy: "data-run=\"caffe\"").count - 1, 4 + 1)

        // parse_log.py's columns, the values the log printed.
        let csv = try read("tables.train.train.csv").split(separator: "\n")
        XCTAssertEqual(csv.first, "NumIters,Seconds,LearningRate,loss")
        XCTAssertEqual(csv.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] }, ["0", "2", "4"])
        XCTAssertNotNil(csv[1].range(of: #"^0,[0-9]+\.[0-9]{6},0\.01,"#, options: .regularExpression),
                        "--log's lines are stamped, so the rows have seconds: \(csv[1])")
        let logLines = try read("train.log").split(separator: "\n").map { TrainingLogLine.splitPrefix($0).message }
        let printed = try XCTUnwrap(logLines.first { $0.hasPrefix("    Train net output #0: loss = ") })
        let value = printed.dropFirst("    Train net output #0: loss = ".count).split(separator: " ")[0]
        XCTAssertEqual(csv[1].split(separator: ",").last.map(String.init), String(value))
        let test = try read("tables.train.test.csv").split(separator: "\n")
        XCTAssertEqual(test.first, "NumIters,Seconds,LearningRate,loss")
        XCTAssertEqual(test.count, 1 + 4, "tests at 0, 2, 4 and 6")
        XCTAssertEqual(try read("tables.caffe.test.csv").split(separator: "\n").first, "NumIters,Seconds,LearningRate,accuracy,loss")
    }

    /// Regression: `plot --x seconds` refused SwiftCaffe's own train logs, whose lines
    /// had no time. --log's lines are stamped now: the plot is drawn, and its x values
    /// (the CSV's Seconds, the same numbers) start at 0 and increase.
    func testPlotOwnLogAgainstSeconds() throws {
        try train()
        let r = try run(["plot", "train.log", "--x", "seconds", "-o", "seconds.svg", "--csv", "tables"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("from SwiftCaffe log train.log"), r.stdout)
        XCTAssertTrue(try read("seconds.svg").contains(">seconds</text>"), "the x axis is seconds")
        func seconds(_ table: String) throws -> [Double] {
            try read(table).split(separator: "\n").dropFirst().map { row in
                try XCTUnwrap(Double(row.split(separator: ",", omittingEmptySubsequences: false)[1]), String(row))
            }
        }
        let train = try seconds("tables.train.csv"), test = try seconds("tables.test.csv")
        XCTAssertEqual(train.count, 3, "displays at 0, 2 and 4")
        XCTAssertEqual(test.count, 4, "tests at 0, 2, 4 and 6")
        XCTAssertGreaterThanOrEqual(test[0], 0)
        for values in [train, test] {
            for (a, b) in zip(values, values.dropFirst()) { XCTAssertLessThan(a, b, "seconds increase: \(values)") }
        }
        XCTAssertLessThanOrEqual(test[0], train[0], "the test at iteration 0 runs before its training display")
    }

    func testPlotErrors() throws {
        try write("just some notes\n", "notes.txt")
        let r = try run(["plot", "notes.txt", "-o", "x.svg"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("'notes.txt' has no training progress in it"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint: the formats understood are SwiftCaffe's log"), r.stderr)
        // Standard output has no timestamps (only --log's file has).
        let trained = try run(["train", "--solver", "solver.prototxt"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        try write(trained.stdout, "stdout.log")
        let seconds = try run(["plot", "stdout.log", "--x", "seconds", "-o", "x.svg"])
        XCTAssertEqual(seconds.status, 64)
        XCTAssertTrue(seconds.stderr.contains("'stdout.log' has no timestamps"), seconds.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.svg").path))
    }

    func testReportInHeadlessChromium() throws {
        _ = try HeadlessChromium.require()
        try train()
        try write(SolverTests.randomNet.replacingOccurrences(of: "num_output: 8", with: "num_output: 16"), "wide.prototxt")
        let r = try run(["report", "train.log", "caffe.log", "--net", "net.prototxt", "--net", "wide.prototxt", "-o", "report.html"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try read("report.html")
        XCTAssertFalse(html.contains("<script"), "self-contained: no scripts")
        XCTAssertFalse(html.contains("src=\"") || html.contains("href=\"http") || html.contains("@import"),
                       "self-contained: nothing fetched")

        let page = directory.appendingPathComponent("report.html")
        let profile = directory.appendingPathComponent("chromium-profile")
        let dom = try HeadlessChromium.run(["--dump-dom"], page: page, profile: profile)
        XCTAssertTrue(dom.contains("<polyline class=\"series\" data-run=\"train\""), String(dom.prefix(2000)))
        XCTAssertTrue(dom.contains("<polyline class=\"series\" data-run=\"caffe\""))
        XCTAssertTrue(dom.contains("<table class=\"runs\">"))
        XCTAssertTrue(dom.contains("<td class=\"num\">150</td>"), "Caffe log's last iteration")
        XCTAssertTrue(dom.contains("<td class=\"num\">0.0125</td>"), "Caffe log's best accuracy")
        XCTAssertTrue(dom.contains("<table class=\"compare\">"))
        XCTAssertTrue(dom.contains("<tr class=\"differs\">"), "ip1 differs between the nets")
        if Graphviz.findExecutable("dot", in: ProcessInfo.processInfo.environment["PATH"]) != nil {
            XCTAssertTrue(dom.contains("class=\"node\""), "Graphviz's drawing is inline SVG")
        } else {
            XCTAssertTrue(dom.contains("<pre class=\"dot\">"))
        }

        let shot = directory.appendingPathComponent("report.png")
        _ = try HeadlessChromium.run(["--screenshot=\(shot.path)", "--window-size=1200,1600", "--hide-scrollbars"],
                                     page: page, profile: profile)
        let image = try ImageCodec.decode(Array(try Data(contentsOf: shot)), mode: .color, source: shot.path)
        XCTAssertEqual(image.width, 1200)
        XCTAssertEqual(image.height, 1600)
        var ink = 0, blue = 0
        let plane = image.width * image.height
        for i in 0..<plane {
            let b = Int(image.pixels[i]), g = Int(image.pixels[plane + i]), red = Int(image.pixels[2 * plane + i])
            if b < 235 || g < 235 || red < 235 { ink += 1 }
            // The first run's colour, #1f77b4 (B, G, R = 180, 119, 31).
            if abs(b - 180) < 30 && abs(g - 119) < 30 && abs(red - 31) < 30 { blue += 1 }
        }
        XCTAssertGreaterThan(ink, plane / 50, "the screenshot is not blank (\(ink) of \(plane) pixels drawn)")
        XCTAssertGreaterThan(blue, 100, "the first run's curves are drawn (\(blue) pixels)")
    }

    func testReportWatchRewritesWhileTheLogGrowsAndStopsWhenIdle() throws {
        try train()
        let process = Process()
        process.executableURL = SwiftCaffeExecutable.executable
        process.arguments = ["report", "train.log", "-o", "live.html", "--watch", "--interval", "0.3", "--idle", "3"]
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let page = directory.appendingPathComponent("live.html").path
        var waited = 0
        while !FileManager.default.fileExists(atPath: page) && waited < 600 {
            usleep(100_000)
            waited += 1
        }
        XCTAssertTrue(try read("live.html").contains("http-equiv=\"refresh\""))
        XCTAssertFalse(try read("live.html").contains("<td class=\"num\">8</td>"))
        let handle = try FileHandle(forWritingTo: directory.appendingPathComponent("train.log"))
        handle.seekToEndOfFile()
        handle.write(Data("Iteration 8, loss = 0.125\n    Train net output #0: loss = 0.125\n".utf8))
        try handle.close()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("Wrote live.html (1)"), output)
        XCTAssertTrue(output.contains("Wrote live.html (2)"), output)
        XCTAssertTrue(output.contains("The logs have not changed for 3.0 s; stopping"), output)
        XCTAssertTrue(try read("live.html").contains("<td class=\"num\">8</td>"), "the rewritten page has iteration 8")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("live.html") }
        XCTAssertEqual(leftovers, ["live.html"], "atomic rewrites leave no temporary files")
    }
}
