import CaffeProto
import XCTest
@testable import SwiftCaffe

final class EltwiseTests: XCTestCase {
    func testNoAllocationsAfterWarmUp() throws {
        for op in ["SUM coeff: 1 coeff: 2 coeff: 3", "PROD", "MAX"] {
            let layer = try LayerTest.make(threeBottoms + "eltwise_param { operation: \(op) }")
            let x = (1...3).map { LayerTest.blob([2, 5], seed: UInt64($0)) }
            try StructureFixtures.assertNoAllocations(layer, bottom: x, top: try LayerTest.setUp(layer, bottom: x))
        }
    }

    let threeBottoms = #"type: "Eltwise" bottom: "a" bottom: "b" bottom: "c" "#

    func bottoms(_ a: [Float], _ b: [Float], _ c: [Float]) -> [Blob] {
        [a, b, c].map { values in
            let blob = try! Blob(shape: [values.count])
            blob.setData(values)
            return blob
        }
    }

    func testSumWithCoefficients() throws {
        let layer = try LayerTest.make(threeBottoms + "eltwise_param { operation: SUM coeff: 1 coeff: -0.5 coeff: 2 }")
        let x = bottoms([1, 2], [4, 6], [0.5, 1])
        let top = try LayerTest.setUp(layer, bottom: x)
        try layer.forward(bottom: x, top: top)
        XCTAssertEqual(top[0].dataArray, [0, 1])   // 1 − 2 + 1, 2 − 3 + 2
        top[0].setDiff([1, 2])
        try layer.backward(top: top, propagateDown: [true, true, true], bottom: x)
        XCTAssertEqual(x.map(\.diffArray), [[1, 2], [-0.5, -1], [2, 4]])

        let plain = try LayerTest.make(#"type: "Eltwise""#)
        let two = Array(x.prefix(2))
        let sum = try LayerTest.setUp(plain, bottom: two)
        try plain.forward(bottom: two, top: sum)
        XCTAssertEqual(sum[0].dataArray, [5, 8])
    }

    func testProduct() throws {
        for stable in [true, false] {
            let layer = try LayerTest.make(threeBottoms + "eltwise_param { operation: PROD stable_prod_grad: \(stable) }")
            let x = bottoms([1, 2], [3, 4], [2, 0.5])
            let top = try LayerTest.setUp(layer, bottom: x)
            try layer.forward(bottom: x, top: top)
            XCTAssertEqual(top[0].dataArray, [6, 4])
            top[0].setDiff([1, 2])
            try layer.backward(top: top, propagateDown: [true, true, true], bottom: x)
            // d/da = b·c·dy, d/db = a·c·dy, d/dc = a·b·dy
            XCTAssertEqual(x.map(\.diffArray), [[6, 4], [2, 2], [3, 16]])
        }
    }

    func testMaxRoutesGradientToTheWinner() throws {
        let layer = try LayerTest.make(threeBottoms + "eltwise_param { operation: MAX }")
        // Position 2 ties a and b at 3: Caffe's first pass gives the tie to bottom 1.
        let x = bottoms([1, 5, 3], [2, 4, 3], [0, 6, 1])
        let top = try LayerTest.setUp(layer, bottom: x)
        try layer.forward(bottom: x, top: top)
        XCTAssertEqual(top[0].dataArray, [2, 6, 3])
        top[0].setDiff([1, 2, 3])
        try layer.backward(top: top, propagateDown: [true, true, true], bottom: x)
        XCTAssertEqual(x.map(\.diffArray), [[0, 0, 0], [1, 0, 3], [0, 2, 0]])
    }

    func testGradients() throws {
        let shape = [2, 3, 1, 5]
        for text in ["eltwise_param { operation: SUM coeff: 0.5 coeff: -2 coeff: 1.5 }",
                     "eltwise_param { operation: PROD }",
                     "eltwise_param { operation: PROD stable_prod_grad: false }",
                     "eltwise_param { operation: MAX }"] {
            let layer = try LayerTest.make(threeBottoms + text)
            // Away from 0 so that the unstable product gradient (top / bottom) is well defined.
            let x = (1...3).map { LayerTest.blob(shape, low: 0.5, high: 1.5, seed: UInt64($0)) }
            let top = try LayerTest.setUp(layer, bottom: x)
            try GradientChecker().check(layer, bottom: x, top: top)
        }
    }

    func testInPlaceSumAndMaxMatchOutOfPlace() throws {
        for op in ["SUM coeff: 2 coeff: -1 coeff: 0.5", "MAX"] {
            let text = threeBottoms + "eltwise_param { operation: \(op) }"
            let dy = LayerTest.blob([2, 5], seed: 9).dataArray
            let x = (1...3).map { LayerTest.blob([2, 5], seed: UInt64($0)) }
            let layer = try LayerTest.make(text)
            let top = try LayerTest.setUp(layer, bottom: x)
            try layer.forward(bottom: x, top: top)
            top[0].setDiff(dy)
            try layer.backward(top: top, propagateDown: [true, true, true], bottom: x)

            let y = (1...3).map { LayerTest.blob([2, 5], seed: UInt64($0)) }
            let inPlace = try LayerTest.make(text)
            try LayerTest.setUp(inPlace, bottom: y, top: [y[0]])
            try inPlace.forward(bottom: y, top: [y[0]])
            XCTAssertEqual(y[0].dataArray, top[0].dataArray)
            y[0].setDiff(dy)
            try inPlace.backward(top: [y[0]], propagateDown: [true, true, true], bottom: y)
            XCTAssertEqual(y.map(\.diffArray), x.map(\.diffArray))
        }
        let prod = try LayerTest.make(#"type: "Eltwise" eltwise_param { operation: PROD }"#)
        let a = Blob(2), b = Blob(2)
        XCTAssertNotNil(TestSupport.error { try prod.reshape(bottom: [a, b], top: [a]) })
        let sum = try LayerTest.make(#"type: "Eltwise""#)
        XCTAssertNotNil(TestSupport.error { try sum.reshape(bottom: [a, b], top: [b]) })
    }

    func testErrors() throws {
        let count = TestSupport.error {
            _ = try LayerTest.make(threeBottoms + "eltwise_param { coeff: 1 coeff: 2 }")
        }
        XCTAssertEqual(count?.field, "eltwise_param.coeff")
        XCTAssertTrue(count?.message.contains("2 coefficients for 3 bottoms") ?? false)
        XCTAssertEqual(TestSupport.error {
            _ = try LayerTest.make(#"type: "Eltwise" bottom: "a" bottom: "b" eltwise_param { operation: MAX coeff: 1 coeff: 2 }"#)
        }?.field, "eltwise_param.coeff")
        let layer = try LayerTest.make(#"type: "Eltwise""#)
        let e = TestSupport.error { _ = try LayerTest.setUp(layer, bottom: [Blob(2, 3), Blob(3, 2)]) }
        XCTAssertTrue(e?.message.contains("equal shapes") ?? false)
    }
}
