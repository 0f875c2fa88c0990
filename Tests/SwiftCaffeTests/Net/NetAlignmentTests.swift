import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Lining up the layers of small hand-written nets: renamed, inserted, removed,
/// swapped and replaced layers, and three nets at once.
final class NetAlignmentTests: XCTestCase {
    /// data → conv1 → relu1 (in place) → pool1 → fc → prob; `edit` rewrites the layer list.
    static func net(_ name: String, _ edit: (inout [String]) -> Void = { _ in }) -> String {
        var layers = [
            #"layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } } }"#,
            #"layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }"#,
            #"layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }"#,
            #"layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }"#,
            #"layer { name: "fc" type: "InnerProduct" bottom: "pool1" top: "fc" inner_product_param { num_output: 5 } }"#,
            #"layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }"#,
        ]
        edit(&layers)
        return "name: \"\(name)\"\n" + layers.joined(separator: "\n") + "\n"
    }

    static func comparison(_ texts: [String]) throws -> NetComparison {
        let nets = try texts.map { try TestSupport.buildNet($0, options: NetBuildOptions(inspectOnly: true)) }
        return NetComparison(members: nets.map { NetComparison.Member(label: $0.name, file: "\($0.name).prototxt", net: $0) })
    }

    /// Each line's name and its layer index (0-based) in every net.
    func lines(_ c: NetComparison) -> [String] {
        c.rows.indices.map { r in
            c.name(ofRow: r) + " " + c.rows[r].entries.map { $0.map(String.init) ?? "-" }.joined(separator: ",")
        }
    }

    func kinds(_ c: NetComparison, _ name: String) -> [NetComparison.Difference.Kind] {
        guard let r = c.rows.indices.first(where: { c.name(ofRow: $0) == name }) else { return [] }
        return c.rows[r].differences.map(\.kind)
    }

    func testIdenticalNetsLineUpOneToOneWithNoDifferences() throws {
        let c = try Self.comparison([Self.net("A"), Self.net("B")])
        XCTAssertEqual(lines(c), ["data 0,0", "conv1 1,1", "relu1 2,2", "pool1 3,3", "fc 4,4", "prob 5,5"])
        XCTAssertEqual(c.differingRows, [])
    }

    func testRenamedLayerIsPairedByTypeAndMarked() throws {
        let renamed = Self.net("B") { layers in
            layers[1] = layers[1].replacingOccurrences(of: #"name: "conv1""#, with: #"name: "conv_a""#)
        }
        let c = try Self.comparison([Self.net("A"), renamed])
        XCTAssertEqual(lines(c), ["data 0,0", "conv1 / conv_a 1,1", "relu1 2,2", "pool1 3,3", "fc 4,4", "prob 5,5"])
        XCTAssertEqual(kinds(c, "conv1 / conv_a"), [.renamed])
        XCTAssertEqual(c.rows[1].differences[0].message, "name: conv1 in A, conv_a in B")
    }

    func testInsertedLayerGetsALineOfItsOwnWhereItRuns() throws {
        let inserted = Self.net("B") { layers in
            layers.insert(#"layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" }"#, at: 3)
            layers[4] = layers[4].replacingOccurrences(of: #"bottom: "conv1""#, with: #"bottom: "norm1""#)
        }
        let c = try Self.comparison([Self.net("A"), inserted])
        XCTAssertEqual(lines(c), ["data 0,0", "conv1 1,1", "relu1 2,2", "norm1 -,3", "pool1 3,4", "fc 4,5", "prob 5,6"])
        XCTAssertEqual(kinds(c, "norm1"), [.missing])
        XCTAssertEqual(c.rows[3].differences[0].message, "only in B")
        XCTAssertEqual(c.differingRows, [3], "a layer run later is not an order difference")
    }

    func testRemovedLayerKeepsItsLineWithAGap() throws {
        let removed = Self.net("B") { layers in layers.remove(at: 2) }
        let c = try Self.comparison([Self.net("A"), removed])
        XCTAssertEqual(lines(c), ["data 0,0", "conv1 1,1", "relu1 2,-", "pool1 3,2", "fc 4,3", "prob 5,4"])
        XCTAssertEqual(kinds(c, "relu1"), [.missing])
        XCTAssertEqual(c.rows[2].differences[0].message, "only in A")
    }

    /// relu1 after pool1 instead of before it: the same two layers, in another order.
    func testSwappedPairIsAnOrderDifferenceOnBothLines() throws {
        let swapped = Self.net("B") { layers in
            layers[2] = #"layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }"#
            layers[3] = #"layer { name: "relu1" type: "ReLU" bottom: "pool1" top: "pool1" }"#
        }
        let c = try Self.comparison([Self.net("A"), swapped])
        XCTAssertEqual(lines(c), ["data 0,0", "conv1 1,1", "relu1 2,3", "pool1 3,2", "fc 4,4", "prob 5,5"])
        XCTAssertEqual(c.rows[2].differences.map(\.message),
                       ["order: after pool1 in B, before it in A", "top shapes: 2x4x6x6 in A, 2x4x3x3 in B"])
        XCTAssertEqual(c.rows[3].differences.map(\.message), ["order: before relu1 in B, after it in A"])
        XCTAssertEqual(c.differingRows, [2, 3])
    }

    /// A ReLU replaced by a TanH under another name: paired by position, type marked.
    func testReplacedLayerIsPairedByPosition() throws {
        let replaced = Self.net("B") { layers in layers[2] = #"layer { name: "tanh1" type: "TanH" bottom: "conv1" top: "conv1" }"# }
        let c = try Self.comparison([Self.net("A"), replaced])
        XCTAssertEqual(lines(c), ["data 0,0", "conv1 1,1", "relu1 / tanh1 2,2", "pool1 3,3", "fc 4,4", "prob 5,5"])
        XCTAssertEqual(kinds(c, "relu1 / tanh1"), [.renamed, .type])
    }

    func testThreeNetsMergeIntoOneTable() throws {
        let inserted = Self.net("B") { layers in
            layers.insert(#"layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" }"#, at: 5)
        }
        let removed = Self.net("C") { layers in layers.remove(at: 2) }
        let c = try Self.comparison([Self.net("A"), inserted, removed])
        XCTAssertEqual(lines(c), ["data 0,0,0", "conv1 1,1,1", "relu1 2,2,-", "pool1 3,3,2", "fc 4,4,3",
                                  "drop -,5,-", "prob 5,6,4"])
        XCTAssertEqual(c.rows[2].differences.map(\.message), ["only in A and B"])
        XCTAssertEqual(c.rows[5].differences.map(\.message), ["only in B"])
    }

    func testAlignmentOfPlainLayerLists() {
        func layers(_ spec: String) -> [NetAlignment.Layer] {
            spec.split(separator: " ").map { part in
                let pieces = part.split(separator: ":")
                return NetAlignment.Layer(name: String(pieces[0]), type: String(pieces[1]))
            }
        }
        // Nothing in common: paired by position (same count), so one line each.
        XCTAssertEqual(NetAlignment([layers("a:X b:Y"), layers("c:Z d:W")]).rows, [[0, 0], [1, 1]])
        // An empty net: every line has a gap.
        XCTAssertEqual(NetAlignment([layers("a:X b:Y"), []]).rows, [[0, nil], [1, nil]])
        XCTAssertEqual(NetAlignment([[], layers("a:X")]).rows, [[nil, 0]])
        // A layer moved from the front to the back stays on the first net's line.
        XCTAssertEqual(NetAlignment([layers("a:X b:Y c:Z"), layers("b:Y c:Z a:X")]).rows, [[0, 2], [1, 0], [2, 1]])
        // Renamed layers pair by type even when an inserted one sits between them.
        XCTAssertEqual(NetAlignment([layers("a:X b:Y"), layers("p:X n:Q q:Y")]).rows, [[0, 0], [nil, 1], [1, 2]])
        // Repeated names pair in order of appearance.
        XCTAssertEqual(NetAlignment([layers("a:X a:X"), layers("a:X a:X a:X")]).rows, [[0, 0], [1, 1], [nil, 2]])
    }
}
