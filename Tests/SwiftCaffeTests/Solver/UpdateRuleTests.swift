import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Each solver method's update on a tiny parameter, against values worked out by hand.
final class UpdateRuleTests: XCTestCase {
    func rule(_ text: String, _ params: [Blob], lr: [Float]? = nil, decay: [Float]? = nil) throws -> UpdateRule {
        let p = try Prototxt.decode(Caffe_SolverParameter.self, text: text, file: "solver.prototxt").message
        return try UpdateRule(p, params: params, lrMultipliers: lr ?? params.map { _ in 1 },
                              decayMultipliers: decay ?? params.map { _ in 1 })
    }

    func blob(_ data: [Float], grad: [Float]) -> Blob {
        let b = Blob(data.count)
        b.setData(data)
        b.setDiff(grad)
        return b
    }

    func assertClose(_ a: [Float], _ b: [Double], _ tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(Double(x), y, accuracy: tolerance * max(1, abs(y)), "\(a) vs \(b)", file: file, line: line)
        }
    }

    func testSGDMomentumAndL2WithMultipliers() throws {
        let w = blob([1, -2], grad: [0.5, 0.25])
        let r = try rule("type: \"SGD\" momentum: 0.9 weight_decay: 0.01", [w], lr: [2], decay: [1])
        r.apply(rate: 0.1, iter: 0)
        // g' = g + 0.01·w = [0.51, 0.23]; h = 0.2·g' = [0.102, 0.046]; w -= h
        assertClose(w.dataArray, [0.898, -2.046])
        assertClose(r.history[0].dataArray, [0.102, 0.046])
        w.setDiff([0.5, 0.25])
        r.apply(rate: 0.1, iter: 1)
        // g' = [0.50898, 0.22954]; h = 0.2·g' + 0.9·h = [0.193596, 0.087308]
        assertClose(r.history[0].dataArray, [0.193596, 0.087308])
        assertClose(w.dataArray, [0.704404, -2.133308])
    }

    func testDecayMultiplierZeroSkipsDecay() throws {
        let w = blob([10], grad: [1])
        let r = try rule("weight_decay: 0.5", [w], decay: [0])
        r.apply(rate: 1, iter: 0)
        assertClose(w.dataArray, [9])
    }

    func testL1Regularization() throws {
        let w = blob([1, -2, 0], grad: [0, 0, 0.5])
        let r = try rule("weight_decay: 0.1 regularization_type: \"L1\"", [w])
        r.apply(rate: 1, iter: 0)
        // g' = g + 0.1·sign(w) = [0.1, -0.1, 0.5]
        assertClose(w.dataArray, [0.9, -1.9, -0.5])
    }

    func testClipGradientsGlobalNorm() throws {
        let a = blob([0], grad: [3]), b = blob([0], grad: [4])
        let r = try rule("clip_gradients: 1", [a, b])
        let note = r.apply(rate: 1, iter: 0)
        // norm 5 > 1: scale 0.2 → [0.6, 0.8]
        assertClose(a.dataArray + b.dataArray, [-0.6, -0.8])
        XCTAssertEqual(note, "Gradient clipping: scaling down gradients (L2 norm 5 > 1) by scale factor 0.2")
        let small = blob([0], grad: [0.5])
        XCTAssertNil(try rule("clip_gradients: 1", [small]).apply(rate: 1, iter: 0))
        assertClose(small.dataArray, [-0.5])
    }

    func testIterSizeAveraging() throws {
        let w = blob([0, 0], grad: [2, 4])    // accumulated over 2 forward/backward passes
        let r = try rule("iter_size: 2", [w])
        r.apply(rate: 0.5, iter: 0)
        assertClose(w.dataArray, [-0.5, -1])
    }

    func testNesterov() throws {
        let w = blob([1], grad: [0.5])
        let r = try rule("type: \"Nesterov\" momentum: 0.9", [w])
        r.apply(rate: 0.1, iter: 0)
        // h = 0.05; update = 1.9·0.05 − 0.9·0 = 0.095
        assertClose(w.dataArray, [0.905])
        w.setDiff([0.5])
        r.apply(rate: 0.1, iter: 1)
        // h = 0.05 + 0.9·0.05 = 0.095; update = 1.9·0.095 − 0.9·0.05 = 0.1355
        assertClose(w.dataArray, [0.7695])
    }

    func testAdaGrad() throws {
        let w = blob([1], grad: [0.5])
        let r = try rule("type: \"AdaGrad\"", [w])
        r.apply(rate: 0.1, iter: 0)
        assertClose(w.dataArray, [0.9])             // h = 0.25; 0.1·0.5/0.5
        w.setDiff([0.5])
        r.apply(rate: 0.1, iter: 1)
        assertClose(w.dataArray, [0.9 - 0.05 / 0.5.squareRoot()])   // h = 0.5
        XCTAssertThrowsError(try rule("type: \"AdaGrad\" momentum: 0.9", [w]))
    }

    func testRMSProp() throws {
        let w = blob([1], grad: [0.5])
        let r = try rule("type: \"RMSProp\" rms_decay: 0.9", [w])
        r.apply(rate: 0.1, iter: 0)
        // h = 0.1·0.25 = 0.025; update = 0.1·0.5/√0.025
        assertClose(w.dataArray, [1 - 0.05 / 0.025.squareRoot()])
        XCTAssertEqual(r.history[0].dataArray[0], 0.025, accuracy: 1e-8)
        XCTAssertThrowsError(try rule("type: \"RMSProp\" rms_decay: 1", [w]))
    }

    func testAdaDeltaKeepsTwoHistoriesPerParameter() throws {
        let a = blob([1], grad: [0.5]), b = blob([2, 3], grad: [0, 0])
        let r = try rule("type: \"AdaDelta\" momentum: 0.95 delta: 1e-6", [a, b])
        XCTAssertEqual(r.history.map(\.shape), [[1], [2], [1], [2]])
        r.apply(rate: 1, iter: 0)
        let h = 0.05 * 0.25
        let u = 0.5 * ((0 + 1e-6) / (h + 1e-6)).squareRoot()
        assertClose(a.dataArray, [1 - u])
        assertClose(r.history[0].dataArray, [h])
        assertClose(r.history[2].dataArray, [0.05 * u * u], 1e-4)
        assertClose(b.dataArray, [2, 3])
    }

    func testAdamTwoStepsAndLayout() throws {
        let a = blob([1], grad: [0.5]), b = blob([0, 0], grad: [0, 0])
        let r = try rule("type: \"Adam\" momentum: 0.9 momentum2: 0.999 delta: 1e-8", [a, b])
        XCTAssertEqual(r.history.map(\.shape), [[1], [2], [1], [2]])
        r.apply(rate: 0.001, iter: 0)
        // m = 0.05, v = 0.00025, correction = √0.001/0.1: update = 0.001·0.05/√0.00025·√0.001/0.1 ≈ 0.001
        var m = 0.05, v = 0.00025
        var step = 0.001 * (1 - 0.999).squareRoot() / (1 - 0.9) * m / (v.squareRoot() + 1e-8)
        assertClose(a.dataArray, [1 - step])
        assertClose(r.history[0].dataArray, [m])
        assertClose(r.history[2].dataArray, [v])
        let after1 = 1 - step
        a.setDiff([0.5])
        r.apply(rate: 0.001, iter: 1)
        m = 0.9 * m + 0.1 * 0.5
        v = 0.999 * v + 0.001 * 0.25
        step = 0.001 * (1 - 0.999 * 0.999).squareRoot() / (1 - 0.81) * m / (v.squareRoot() + 1e-8)
        assertClose(a.dataArray, [after1 - step])
        XCTAssertEqual(r.type.rawValue, "Adam")
    }

    func testUnknownTypeAndRegularization() throws {
        let w = blob([1], grad: [1])
        let e = TestSupport.error { _ = try self.rule("type: \"Adma\"", [w]) }
        XCTAssertEqual(e?.field, "type")
        XCTAssertTrue(e?.hint?.contains("'Adam'") ?? false)
        XCTAssertEqual(TestSupport.error { _ = try self.rule("regularization_type: \"L3\"", [w]) }?.field, "regularization_type")
    }
}
