import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Caffe's lr policies as pure functions, and the plateau schedule.
final class LearningRatePolicyTests: XCTestCase {
    func solver(_ text: String) throws -> Caffe_SolverParameter {
        try Prototxt.decode(Caffe_SolverParameter.self, text: text, file: "solver.prototxt").message
    }

    func rate(_ p: Caffe_SolverParameter, _ iter: Int) -> Double { Double(LearningRatePolicy.rate(p, iter: iter)) }

    func testFixedStepExpInv() throws {
        let fixed = try solver("base_lr: 0.01 lr_policy: \"fixed\"")
        XCTAssertEqual(rate(fixed, 0), 0.01, accuracy: 1e-9)
        XCTAssertEqual(rate(fixed, 12345), 0.01, accuracy: 1e-9)

        let step = try solver("base_lr: 0.01 lr_policy: \"step\" gamma: 0.1 stepsize: 100")
        XCTAssertEqual(rate(step, 0), 0.01, accuracy: 1e-9)
        XCTAssertEqual(rate(step, 99), 0.01, accuracy: 1e-9)
        XCTAssertEqual(rate(step, 100), 0.001, accuracy: 1e-9)
        XCTAssertEqual(rate(step, 250), 0.0001, accuracy: 1e-10)
        XCTAssertEqual(LearningRatePolicy.currentStep(step, iter: 250), 2)

        let exp = try solver("base_lr: 0.5 lr_policy: \"exp\" gamma: 0.9")
        XCTAssertEqual(rate(exp, 3), 0.5 * 0.729, accuracy: 1e-7)

        let inv = try solver("base_lr: 0.01 lr_policy: \"inv\" gamma: 0.0001 power: 0.75")
        XCTAssertEqual(rate(inv, 10000), 0.01 * Foundation.pow(2.0, -0.75), accuracy: 1e-8)  // (1 + 1)^-0.75
    }

    func testMultistepPolySigmoid() throws {
        let multi = try solver("base_lr: 1 lr_policy: \"multistep\" gamma: 0.5 stepvalue: 10 stepvalue: 20 stepvalue: 25")
        XCTAssertEqual(rate(multi, 9), 1)
        XCTAssertEqual(rate(multi, 10), 0.5)
        XCTAssertEqual(rate(multi, 24), 0.25)
        XCTAssertEqual(rate(multi, 25), 0.125)
        XCTAssertEqual(rate(multi, 1000), 0.125)
        XCTAssertEqual(LearningRatePolicy.currentStep(multi, iter: 21), 2)

        let poly = try solver("base_lr: 0.1 lr_policy: \"poly\" power: 2 max_iter: 100")
        XCTAssertEqual(rate(poly, 0), 0.1, accuracy: 1e-8)
        XCTAssertEqual(rate(poly, 50), 0.1 * 0.25, accuracy: 1e-8)
        XCTAssertEqual(rate(poly, 100), 0, accuracy: 1e-12)

        let sigmoid = try solver("base_lr: 0.2 lr_policy: \"sigmoid\" gamma: 0.5 stepsize: 10")
        XCTAssertEqual(rate(sigmoid, 10), 0.1, accuracy: 1e-8)       // 0.2 / (1 + e^0)
        XCTAssertEqual(rate(sigmoid, 12), 0.2 / (1 + Foundation.exp(-1.0)), accuracy: 1e-8)
    }

    func testValidation() throws {
        let unknown = TestSupport.error { try LearningRatePolicy.validate(try self.solver("base_lr: 1 lr_policy: \"stpe\"")) }
        XCTAssertEqual(unknown?.field, "lr_policy")
        XCTAssertTrue(unknown?.hint?.contains("'step'") ?? false, "\(String(describing: unknown))")
        let noStep = TestSupport.error { try LearningRatePolicy.validate(try self.solver("base_lr: 1 lr_policy: \"step\" gamma: 0.1")) }
        XCTAssertEqual(noStep?.field, "stepsize")
        let plateauNoGamma = TestSupport.error {
            try LearningRatePolicy.validate(try self.solver("base_lr: 1 lr_policy: \"plateau\" plateau_patience: 2"))
        }
        XCTAssertEqual(plateauNoGamma?.field, "gamma")
    }

    func testPlateauPatienceAndMaxDrops() throws {
        let p = try solver("base_lr: 0.1 lr_policy: \"plateau\" gamma: 0.1 plateau_patience: 2 plateau_max_drops: 2")
        let plateau = try PlateauSchedule(p, outputs: ["loss", "accuracy"])
        XCTAssertEqual(plateau.monitor, "accuracy")
        XCTAssertFalse(plateau.lowerIsBetter)
        plateau.observe(0.5)                        // first value: best
        plateau.observe(0.6)                        // improved
        XCTAssertFalse(plateau.observe(0.6))        // 1 without improvement
        XCTAssertTrue(plateau.observe(0.55))        // 2 → drop
        XCTAssertEqual(plateau.lrScale, 0.1, accuracy: 1e-7)
        XCTAssertEqual(Double(LearningRatePolicy.rate(p, iter: 7, lrScale: plateau.lrScale)), 0.01, accuracy: 1e-8)
        XCTAssertFalse(plateau.observe(0.7))        // improved: counter reset
        plateau.observe(0.7)
        XCTAssertTrue(plateau.observe(0.7))         // second drop
        XCTAssertEqual(plateau.drops, 2)
        for _ in 0..<5 { XCTAssertFalse(plateau.observe(0.1)) }   // max drops reached
        XCTAssertEqual(plateau.lrScale, 0.01, accuracy: 1e-8)
    }

    func testPlateauMonitorAndSaveRestore() throws {
        let p = try solver("""
            base_lr: 1 lr_policy: "plateau" gamma: 0.5 plateau_patience: 1 plateau_monitor: "val_loss" plateau_threshold: 0.01
            """)
        let plateau = try PlateauSchedule(p, outputs: ["accuracy", "val_loss"])
        XCTAssertTrue(plateau.lowerIsBetter)
        plateau.observe(1.0)
        XCTAssertFalse(plateau.observe(0.9))        // lower is better: improvement
        XCTAssertTrue(plateau.observe(0.895))       // below the threshold: no improvement → drop
        let saved = plateau.state
        XCTAssertEqual(saved.drops, 1)
        XCTAssertEqual(saved.lrScale, 0.5)
        XCTAssertEqual(saved.best, 0.9, accuracy: 1e-7)

        let restored = try PlateauSchedule(p, outputs: ["accuracy", "val_loss"])
        restored.restore(try Caffe_PlateauState(serializedBytes: try saved.serializedData()))
        XCTAssertEqual(restored.lrScale, 0.5)
        XCTAssertEqual(restored.drops, 1)
        XCTAssertEqual(restored.best, plateau.best)
        XCTAssertEqual(restored.observe(0.95), plateau.observe(0.95))
        XCTAssertEqual(restored.lrScale, plateau.lrScale)

        let bad = TestSupport.error { _ = try PlateauSchedule(p, outputs: ["accuracy", "loss"]) }
        XCTAssertEqual(bad?.field, "plateau_monitor")
        XCTAssertTrue(bad?.hint?.contains("loss") ?? false)
        let byDefault = try PlateauSchedule(try solver("base_lr: 1 lr_policy: \"plateau\" gamma: 0.5"), outputs: ["loss"])
        XCTAssertEqual(byDefault.monitor, "loss")
        XCTAssertTrue(byDefault.lowerIsBetter)
        for _ in 0..<4 { XCTAssertFalse(byDefault.observe(1)) }   // patience unset: never drops
    }
}
