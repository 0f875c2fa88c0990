import CaffeProto
import XCTest
@testable import SwiftCaffe

/// AlexNet against CaffeNet, checked by hand against FACTS: the LRN/pooling order
/// swap, the bias fillers (0.1 against 1) and equal totals.
final class NetComparisonTests: XCTestCase {
    func comparison(_ file: String, phase: Caffe_Phase? = nil) throws -> NetComparison {
        let members = try [("AlexNet", "bvlc_alexnet"), ("CaffeNet", "bvlc_reference_caffenet")].map { label, folder in
            let path = TestSupport.model("\(folder)/\(file)")
            let net = try NetBuilder.build(try NetDefinition.load(path: path), options: NetBuildOptions(phase: phase, inspectOnly: true))
            XCTAssertEqual(net.name, label)
            return NetComparison.Member(label: label, file: path, net: net)
        }
        return NetComparison(members: members)
    }

    func row(_ c: NetComparison, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> NetComparison.Row {
        try XCTUnwrap(c.rows.indices.first { c.name(ofRow: $0) == name }.map { c.rows[$0] }, "no line \(name)",
                      file: file, line: line)
    }

    func assertOrderSwap(_ c: NetComparison, batch: Int) throws {
        // 0-based positions; deploy nets start with one Input layer, train_val TEST with data + a label split.
        for (norm, pool, convShape, poolShape) in [("norm1", "pool1", "\(batch)x96x55x55", "\(batch)x96x27x27"),
                                                   ("norm2", "pool2", "\(batch)x256x27x27", "\(batch)x256x13x13")] {
            let normRow = try row(c, norm), poolRow = try row(c, pool)
            XCTAssertEqual(normRow.entries[0]! + 1, poolRow.entries[0]!, "AlexNet: \(norm) right before \(pool)")
            XCTAssertEqual(poolRow.entries[1]! + 1, normRow.entries[1]!, "CaffeNet: \(pool) right before \(norm)")
            XCTAssertEqual(normRow.differences.map(\.message), [
                "order: after \(pool) in CaffeNet, before it in AlexNet",
                "top shapes: \(convShape) in AlexNet, \(poolShape) in CaffeNet",
            ])
            XCTAssertEqual(poolRow.differences.map(\.message), ["order: before \(norm) in CaffeNet, after it in AlexNet"])
            XCTAssertEqual(normRow.differences.map(\.kind), [.order, .topShapes])
        }
    }

    func assertEqualTotals(_ c: NetComparison) {
        for m in 0..<2 {
            XCTAssertEqual(c.totals(ofMember: m).parameters, 60_965_224)
            XCTAssertEqual(c.totals(ofMember: m).multiplyAddsPerImage, 724_406_816)
        }
    }

    func testDeployNetsDifferOnlyInTheOrderOfNormAndPool() throws {
        let c = try comparison("deploy.prototxt")
        XCTAssertEqual(c.rows.count, 24)
        XCTAssertEqual(c.rows.map(\.entries).filter { $0.contains(nil) }, [], "every layer is in both nets")
        try assertOrderSwap(c, batch: 10)
        XCTAssertEqual(c.differingRows.map { c.name(ofRow: $0) }, ["norm1", "pool1", "norm2", "pool2"])
        assertEqualTotals(c)
        // CaffeNet normalizes the pooled maps: norm1 96x27x27 instead of 96x55x55, norm2
        // 256x13x13 instead of 256x27x27, for 10 images of Float32.
        let saved = 10 * 4 * (96 * (55 * 55 - 27 * 27) + 256 * (27 * 27 - 13 * 13))
        XCTAssertEqual(c.totals(ofMember: 0).activationBytes - c.totals(ofMember: 1).activationBytes, saved)
        XCTAssertEqual(saved, 14_551_040)
    }

    func testTrainValNetsAlsoDifferInTheNonZeroBiasFillers() throws {
        let c = try comparison("train_val.prototxt")
        try assertOrderSwap(c, batch: 50)
        for (layer, field) in [("conv2", "convolution_param"), ("conv4", "convolution_param"), ("conv5", "convolution_param"),
                               ("fc6", "inner_product_param"), ("fc7", "inner_product_param")] {
            let differences = try row(c, layer).differences
            XCTAssertEqual(differences.map(\.kind), [.setting("\(field).bias_filler.value")], layer)
            XCTAssertEqual(differences.map(\.message), ["\(field).bias_filler.value: 0.1 in AlexNet, 1 in CaffeNet"], layer)
        }
        for layer in ["data", "conv1", "conv3", "fc8", "drop6", "drop7", "loss", "accuracy"] {
            XCTAssertEqual(try row(c, layer).differences, [], "\(layer): same in both")
        }
        XCTAssertEqual(c.differingRows.map { c.name(ofRow: $0) },
                       ["norm1", "pool1", "conv2", "norm2", "pool2", "conv4", "conv5", "fc6", "fc7"])
        assertEqualTotals(c)
    }

    func testTrainPhaseComparesTheTrainingNets() throws {
        let c = try comparison("train_val.prototxt", phase: .train)
        XCTAssertNil(c.rows.indices.first { c.name(ofRow: $0) == "accuracy" })
        try assertOrderSwap(c, batch: 256)
        assertEqualTotals(c)
    }

    func testPlainTextShowsBothNetsSideBySideWithTheDifferencesBelow() throws {
        let text = try comparison("deploy.prototxt").render()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "Comparing 2 nets, phase TEST:")
        let norm1 = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("*  norm1 ") })
        XCTAssertTrue(lines[norm1].contains("|  4  LRN ") && lines[norm1].contains("|  5  LRN "), lines[norm1])
        XCTAssertEqual(lines[norm1 + 1], "      - order: after pool1 in CaffeNet, before it in AlexNet")
        let conv1 = try XCTUnwrap(lines.first { $0.hasPrefix("   conv1 ") })
        XCTAssertEqual(conv1.components(separatedBy: "34,944  105,415,200").count, 3, conv1)
        let total = try XCTUnwrap(lines.first { $0.hasPrefix("   total ") })
        XCTAssertEqual(total.components(separatedBy: "60,965,224  724,406,816").count, 3, total)
        XCTAssertTrue(text.contains("Parameters:              60,965,224 in both (equal)"), text)
        XCTAssertTrue(text.contains("Multiply-adds per image: 724,406,816 in both (equal)"), text)
        XCTAssertTrue(text.contains("Differences:             4 of 24 lines (norm1, pool1, norm2, pool2)"), text)
        // Every table line (not the difference lines) has its column separators in the same places.
        let table = lines.filter { $0.contains(" | ") }
        let bars = Set(table.map { line in line.indices.filter { line[$0] == "|" }.map { line.distance(from: line.startIndex, to: $0) } })
        XCTAssertEqual(bars.count, 1, "\(bars)")
    }

    func testMarkdownTableHasOneColumnPerNetAndDifferences() throws {
        let text = try comparison("train_val.prototxt").renderMarkdown()
        let lines = text.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("|  | layer |") })
        XCTAssertTrue(header.hasPrefix("|  | layer | AlexNet # | AlexNet type | AlexNet top shapes | AlexNet params |"), header)
        XCTAssertTrue(header.hasSuffix("| CaffeNet memory | differences |"), header)
        let columns = header.components(separatedBy: " | ").count
        for line in lines where line.hasPrefix("|") {
            XCTAssertEqual(line.replacingOccurrences(of: "\\|", with: "").components(separatedBy: " | ").count, columns, line)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("| * | conv2 | 7 | Convolution | 50x256x27x27 | 307,456 | 223,948,800 |")
            && $0.hasSuffix("| convolution_param.bias_filler.value: 0.1 in AlexNet, 1 in CaffeNet |") }, text)
        let total = try XCTUnwrap(lines.first { $0.hasPrefix("|  | **total** |") })
        XCTAssertEqual(total.components(separatedBy: "**60,965,224** | **724,406,816**").count, 3, total)
        XCTAssertTrue(text.contains("- Parameters: 60,965,224 in both (equal)"), text)
    }

    /// AlexNet with conv2's two groups removed: one path of full width, so twice the
    /// weights and products on that layer, and different totals.
    func testRemovingGroupsShowsInTheRowAndTheTotals() throws {
        let path = TestSupport.model("bvlc_alexnet/deploy.prototxt")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let conv2 = try XCTUnwrap(text.range(of: "group: 2"))
        let ungrouped = text.replacingCharacters(in: conv2, with: "")
            .replacingOccurrences(of: "name: \"AlexNet\"", with: "name: \"AlexNet-1-group\"")
        let members = try [text, ungrouped].map { text -> NetComparison.Member in
            let net = try TestSupport.buildNet(text, options: NetBuildOptions(inspectOnly: true))
            return NetComparison.Member(label: net.name, file: "", net: net)
        }
        let c = NetComparison(members: members)
        XCTAssertEqual(c.differingRows.map { c.name(ofRow: $0) }, ["conv2"])
        XCTAssertEqual(try row(c, "conv2").differences.map(\.message), [
            "parameters: 307,456 in AlexNet, 614,656 in AlexNet-1-group",
            "convolution_param.group: 2 in AlexNet, 1 in AlexNet-1-group",
        ])
        XCTAssertEqual(c.totals(ofMember: 1).parameters, 60_965_224 + 256 * 48 * 25)
        XCTAssertEqual(c.totals(ofMember: 1).multiplyAddsPerImage, 724_406_816 + 223_948_800)
        let rendered = c.render()
        XCTAssertTrue(rendered.contains("Parameters:              60,965,224 in AlexNet, 61,272,424 in AlexNet-1-group (+0.5%)"),
                      rendered)
        XCTAssertTrue(rendered.contains("Multiply-adds per image: 724,406,816 in AlexNet, 948,355,616 in AlexNet-1-group (+30.9%)"),
                      rendered)
    }

    func testLabelsFallBackToFileNamesWhenNetNamesRepeat() {
        XCTAssertEqual(NetComparison.labels(netNames: ["AlexNet", "CaffeNet"], files: ["a/deploy.prototxt", "b/deploy.prototxt"]),
                       ["AlexNet", "CaffeNet"])
        XCTAssertEqual(NetComparison.labels(netNames: ["AlexNet", "AlexNet"], files: ["a/deploy.prototxt", "a/train_val.prototxt"]),
                       ["deploy", "train_val"])
        XCTAssertEqual(NetComparison.labels(netNames: ["", ""], files: ["x/deploy.prototxt", "y/deploy.prototxt"]),
                       ["x/deploy", "y/deploy"])
        XCTAssertEqual(NetComparison.labels(netNames: ["n", "n"], files: ["net.prototxt", "net.prototxt"]), ["A", "B"])
    }

    /// The same net twice, one of them timed: the table gains time columns and a total.
    func testTimedComparisonShowsMillisecondsPerLayer() throws {
        let text = NetAlignmentTests.net("A")
        let definition = try NetDefinition(param: try Prototxt.decode(Caffe_NetParameter.self, text: text, file: "a").message)
        let (net, replaced) = try definition.buildForTiming(options: NetBuildOptions())
        XCTAssertEqual(replaced, [])
        let timing = try NetTimer(net: net).run(iterations: 2)
        let inspected = try TestSupport.buildNet(text, options: NetBuildOptions(inspectOnly: true))
        let c = NetComparison(members: [NetComparison.Member(label: "timed", file: "a", net: net, timing: timing),
                                        NetComparison.Member(label: "plain", file: "a", net: inspected)])
        XCTAssertEqual(c.differingRows, [])
        let rendered = c.render()
        XCTAssertTrue(rendered.contains("fwd ms") && rendered.contains("bwd ms"), rendered)
        XCTAssertTrue(rendered.contains("timed over 2 iterations"), rendered)
        XCTAssertTrue(rendered.contains("Forward+backward per batch: "), rendered)
        XCTAssertEqual(c.totals(ofMember: 0).forwardMilliseconds, timing.averageForward)
        XCTAssertNil(c.totals(ofMember: 1).forwardMilliseconds)
    }
}
