import CaffeProto
import XCTest
@testable import SwiftCaffe

/// A layer type the built-in registry does not know: y = 2x.
final class DoublingLayer: Layer {
    override var bottomCountRange: ClosedRange<Int> { 1...1 }
    override var topCountRange: ClosedRange<Int> { 1...1 }
    override func reshape(bottom: [Blob], top: [Blob]) throws { try top[0].reshape(like: bottom[0]) }
    override func forward(bottom: [Blob], top: [Blob]) throws {
        for i in 0..<bottom[0].count { top[0].data[i] = 2 * bottom[0].data[i] }
    }
}

final class LayerRegistryTests: XCTestCase {
    func testTheBuiltInListHasNoDuplicates() {
        let types = LayerRegistry.builtInLayers.map(\.type)
        let repeated = Dictionary(grouping: types, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        XCTAssertEqual(repeated, [])
        XCTAssertEqual(LayerRegistry.builtIn.types, types.sorted())
    }

    func testEveryBuiltInTypeHasAGroupAndAOneLineDescription() {
        for layer in LayerRegistry.builtInLayers {
            XCTAssertFalse(layer.summary.isEmpty, layer.type)
            XCTAssertFalse(layer.summary.contains("\n"), layer.type)
            XCTAssertFalse(layer.group.isEmpty, layer.type)
        }
        // Each group's types are listed together, so `swiftcaffe layers` shows each group once.
        var groups: [String] = []
        for layer in LayerRegistry.builtInLayers where groups.last != layer.group { groups.append(layer.group) }
        XCTAssertEqual(groups.count, Set(groups).count, "\(groups)")
    }

    func testAnUnknownTypeListsTheRegisteredOnesAndNamesTheCommand() {
        let e = TestSupport.error {
            _ = try TestSupport.buildNet("""
                layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 3 } } }
                layer { name: "p" type: "Pooling2" bottom: "x" top: "y" }
                """)
        }
        XCTAssertEqual(e?.message, "unknown layer type 'Pooling2'")
        XCTAssertTrue(e?.hint?.hasPrefix("did you mean 'Pooling'? registered types: AbsVal, Accuracy, ") ?? false,
                      "\(String(describing: e?.hint))")
        XCTAssertTrue(e?.hint?.hasSuffix("; run 'swiftcaffe layers' for the list with descriptions") ?? false)
        XCTAssertTrue(LayerRegistry.builtIn.types.allSatisfy { e?.hint?.contains($0) ?? false })
    }

    func testRegisteringATypeTwiceIsAnError() throws {
        var registry = LayerRegistry.builtIn
        let e = TestSupport.error { try registry.register("ReLU", DoublingLayer.self) }
        XCTAssertTrue(e?.message.contains("'ReLU' is already registered") ?? false, "\(String(describing: e))")
        try registry.register("Doubling", DoublingLayer.self)
        XCTAssertThrowsError(try registry.register("Doubling", DoublingLayer.self))
        XCTAssertFalse(LayerRegistry.builtIn.contains("Doubling"), "the built-in registry is a value nobody changes")
    }

    func testANetUsesTheRegistryOfItsOptions() throws {
        let text = """
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 3 } } }
            layer { name: "twice" type: "Doubling" bottom: "x" top: "y" }
            """
        let unknown = TestSupport.error { _ = try TestSupport.buildNet(text) }
        XCTAssertEqual(unknown?.message, "unknown layer type 'Doubling'")

        var options = NetBuildOptions()
        try options.registry.register("Doubling", DoublingLayer.self)
        let net = try TestSupport.buildNet(text, options: options)
        try XCTUnwrap(net.blob(named: "x")).setData([1, 2, 3])
        try net.forward()
        XCTAssertEqual(try XCTUnwrap(net.blob(named: "y")).dataArray, [2, 4, 6])
    }
}
