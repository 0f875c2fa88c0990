import CaffeProto
import XCTest
@testable import SwiftCaffe

final class ReductionTests: XCTestCase {
    static let values: [Float] = [1, -2, 3,
                                  -4, 5, -6]

    func layerAndTop(_ text: String) throws -> (Layer, Blob, Blob) {
        let layer = try LayerTest.make(#"type: "Reduction" "# + text)
        let bottom = NeuronTest.blob([2, 3], Self.values)
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        return (layer, bottom, top[0])
    }

    func reduce(_ text: String) throws -> Blob { try layerAndTop(text).2 }

    func testAllAxesByDefault() throws {
        let sum = try reduce("")
        XCTAssertEqual(sum.shape, [])
        XCTAssertEqual(sum.dataArray, [-3])
        XCTAssertEqual(try reduce("reduction_param { operation: ASUM }").dataArray, [21])
        XCTAssertEqual(try reduce("reduction_param { operation: SUMSQ }").dataArray, [1 + 4 + 9 + 16 + 25 + 36])
        XCTAssertEqual(try reduce("reduction_param { operation: MEAN }").dataArray, [-0.5])
        XCTAssertEqual(try reduce("reduction_param { coeff: 2 }").dataArray, [-6])
    }

    func testFromAxisOne() throws {
        let sum = try reduce("reduction_param { axis: 1 }")
        XCTAssertEqual(sum.shape, [2])
        XCTAssertEqual(sum.dataArray, [2, -5])
        XCTAssertEqual(try reduce("reduction_param { axis: 1 operation: ASUM }").dataArray, [6, 15])
        XCTAssertEqual(try reduce("reduction_param { axis: 1 operation: SUMSQ }").dataArray, [14, 77])
        NeuronTest.assertClose(try reduce("reduction_param { axis: 1 operation: MEAN }").dataArray, [2.0 / 3, -5.0 / 3])
        NeuronTest.assertClose(try reduce("reduction_param { axis: -1 operation: MEAN coeff: -1 }").dataArray,
                               [-2.0 / 3, 5.0 / 3])
    }

    func testTopKeepsTheAxesBeforeAxis() throws {
        let layer = try LayerTest.make(#"type: "Reduction" reduction_param { axis: 2 }"#)
        let bottom = NeuronTest.blob([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].shape, [2, 2])
        XCTAssertEqual(top[0].dataArray, [3, 7, 11, 15])
    }

    func testBackwardByHand() throws {
        // axis 1, coeff 2, top diff (1, 10): g = 2 and 20 per row.
        func backward(_ operation: String) throws -> [Float] {
            let (layer, bottom, top) = try layerAndTop("reduction_param { axis: 1 coeff: 2 operation: \(operation) }")
            top.setDiff([1, 10])
            bottom.fillDiff(100)
            try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
            return bottom.diffArray
        }
        XCTAssertEqual(try backward("SUM"), [2, 2, 2, 20, 20, 20])
        NeuronTest.assertClose(try backward("MEAN"), [2.0 / 3, 2.0 / 3, 2.0 / 3, 20.0 / 3, 20.0 / 3, 20.0 / 3])
        XCTAssertEqual(try backward("ASUM"), [2, -2, 2, -20, 20, -20])
        XCTAssertEqual(try backward("SUMSQ"), [4, -8, 12, -160, 200, -240])
    }

    func testGradients() throws {
        // A small step: SUMSQ's curvature (2 · coeff) at the default step would look like a kink.
        let checker = GradientChecker(stepsize: 1e-3)
        for operation in ["SUM", "ASUM", "SUMSQ", "MEAN"] {
            for axis in [0, 1, 2] {
                try NeuronTest.check(#"type: "Reduction" reduction_param { operation: \#(operation) axis: \#(axis) coeff: 1.5 }"#,
                                     shape: [2, 3, 4], checker: checker)
            }
        }
    }

    func testErrors() throws {
        let layer = try LayerTest.make(#"type: "Reduction" reduction_param { axis: 2 }"#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3)]) }?.field, "reduction_param.axis")
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.make(#"type: "Reduction" reduction_param { operation: PROD }"#) }?.kind,
                       .schema)
        let plain = try LayerTest.make(#"type: "Reduction""#)
        XCTAssertEqual(TestSupport.error { _ = try LayerTest.setUp(plain, bottom: [Blob(2), Blob(2)]) }?.field, "bottom")
        let bottom = Blob(2, 3)
        XCTAssertNotNil(TestSupport.error { try LayerTest.setUp(plain, bottom: [bottom], top: [bottom]) })
    }

    func testNoAllocationsAfterWarmUp() throws {
        let layer = try LayerTest.make(#"type: "Reduction" reduction_param { axis: 1 operation: SUMSQ }"#)
        let bottom = LayerTest.blob([3, 4, 2])
        try StructureFixtures.assertNoAllocations(layer, bottom: [bottom], top: try LayerTest.setUp(layer, bottom: [bottom]))
    }
}
