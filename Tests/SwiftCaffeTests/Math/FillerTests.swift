import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Caffe's fillers: statistics on large samples with fixed seeds (tolerances several
/// standard errors wide), exact values where the filler is deterministic, and errors.
final class FillerTests: XCTestCase {
    func filler(_ text: String, field: String = "weight_filler") throws -> Filler {
        let (param, _) = try Prototxt.decode(Caffe_FillerParameter.self, text: text, file: "filler.prototxt")
        return try Filler(param, field: field)
    }

    func filled(_ text: String, _ shape: [Int], seed: UInt64 = 1701) throws -> [Float] {
        let blob = try Blob(shape: shape)
        try filler(text).fill(blob, random: RandomSource(seed: seed))
        return blob.dataArray
    }

    func mean(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double($1) } / Double(v.count) }
    func variance(_ v: [Float], mean m: Double? = nil) -> Double {
        let m = m ?? mean(v)
        return v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)
    }

    func testDefaultIsConstantZero() throws {
        let blob = LayerTest.blob([3, 4])
        try Filler(Caffe_FillerParameter(), field: "weight_filler").fill(blob, random: RandomSource(seed: 1))
        XCTAssertEqual(blob.dataArray, [Float](repeating: 0, count: 12))
    }

    func testConstant() throws {
        XCTAssertEqual(try filled("type: \"constant\" value: 2.5", [2, 3, 2]), [Float](repeating: 2.5, count: 12))
    }

    func testUniformRangeAndMean() throws {
        // U(−2, 3): mean 0.5, std 5/√12 ≈ 1.44; 100 000 samples → standard error of the mean ≈ 0.0046.
        let v = try filled("type: \"uniform\" min: -2 max: 3", [100, 1000])
        XCTAssertTrue(v.allSatisfy { $0 >= -2 && $0 < 3 })
        XCTAssertEqual(mean(v), 0.5, accuracy: 0.03)
        XCTAssertEqual(variance(v), 25.0 / 12, accuracy: 0.05)
        XCTAssertLessThan(v.min()!, -1.99)
        XCTAssertGreaterThan(v.max()!, 2.99)
    }

    func testUniformDefaultsToZeroOne() throws {
        let v = try filled("type: \"uniform\"", [1000])
        XCTAssertTrue(v.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    func testGaussianMeanAndStd() throws {
        // N(1, 2²), 100 000 samples: standard errors 0.0063 (mean), ≈ 0.0045 (std).
        let v = try filled("type: \"gaussian\" mean: 1 std: 2", [100, 1000])
        XCTAssertEqual(mean(v), 1, accuracy: 0.03)
        XCTAssertEqual(variance(v).squareRoot(), 2, accuracy: 0.03)
    }

    func testSparseGaussianZeroFraction() throws {
        // sparse 3 with 10 outputs: each weight kept with probability 3/10.
        let v = try filled("type: \"gaussian\" std: 1 sparse: 3", [10, 2000])
        let zeros = Double(v.filter { $0 == 0 }.count) / Double(v.count)
        XCTAssertEqual(zeros, 0.7, accuracy: 0.015)  // standard error ≈ 0.0032
        let kept = v.filter { $0 != 0 }
        XCTAssertEqual(variance(kept, mean: 0).squareRoot(), 1, accuracy: 0.04)
    }

    func testSparseZeroKeepsNothing() throws {
        XCTAssertTrue(try filled("type: \"gaussian\" sparse: 0", [4, 10]).allSatisfy { $0 == 0 })
    }

    // Blob 40 × 50 × 3 × 3: fan_in = 450, fan_out = 40·9 = 360, average 405; 18 000 samples.
    let fanShape = [40, 50, 3, 3]
    let fans: [(String, Double)] = [("FAN_IN", 450), ("FAN_OUT", 360), ("AVERAGE", 405)]

    func testXavierVariance() throws {
        for (norm, n) in fans {
            // U(−√(3/n), √(3/n)) has variance 1/n; relative standard error of the sample variance ≈ 0.7 %.
            let v = try filled("type: \"xavier\" variance_norm: \(norm)", fanShape)
            let bound = Float((3 / n).squareRoot())
            XCTAssertTrue(v.allSatisfy { abs($0) <= bound }, norm)
            XCTAssertEqual(variance(v, mean: 0) * n, 1, accuracy: 0.04, norm)
        }
        // The default is FAN_IN.
        XCTAssertEqual(variance(try filled("type: \"xavier\"", fanShape), mean: 0) * 450, 1, accuracy: 0.04)
    }

    func testMSRAVariance() throws {
        for (norm, n) in fans {
            // N(0, 2/n); relative standard error of the sample variance ≈ 1.1 %.
            let v = try filled("type: \"msra\" variance_norm: \(norm)", fanShape)
            XCTAssertEqual(mean(v), 0, accuracy: 0.005, norm)
            XCTAssertEqual(variance(v, mean: 0) * n / 2, 1, accuracy: 0.05, norm)
        }
    }

    func testPositiveUnitball() throws {
        let v = try filled("type: \"positive_unitball\"", [5, 3, 4])
        XCTAssertTrue(v.allSatisfy { $0 > 0 && $0 <= 1 })
        for row in 0..<5 {
            let sum = v[(row * 12)..<(row * 12 + 12)].reduce(0, +)
            XCTAssertEqual(sum, 1, accuracy: 1e-5)
        }
    }

    func testBilinearExactValues() throws {
        // K = 4: f = ⌈4/2⌉ = 2, c = (2f − 1 − f mod 2)/(2f) = 3/4,
        // per axis 1 − |x/2 − 3/4| = [1/4, 3/4, 3/4, 1/4]; the kernel is their outer product.
        let axis: [Float] = [0.25, 0.75, 0.75, 0.25]
        let expected = axis.flatMap { y in axis.map { x in y * x } }
        XCTAssertEqual(try filled("type: \"bilinear\"", [1, 1, 4, 4]), expected)
        // K = 3: f = 2, c = 3/4 as well: [1/4, 3/4, 3/4].
        let three: [Float] = [0.25, 0.75, 0.75]
        XCTAssertEqual(try filled("type: \"bilinear\"", [1, 1, 3, 3]), three.flatMap { y in three.map { y * $0 } })
        // Every filter of a multi-channel blob is the same kernel.
        let many = try filled("type: \"bilinear\"", [2, 3, 4, 4])
        for k in 0..<6 { XCTAssertEqual(Array(many[(k * 16)..<(k * 16 + 16)]), expected) }
    }

    func testBilinearNeedsSquareFourDimensionalBlob() throws {
        let f = try filler("type: \"bilinear\"", field: "convolution_param.weight_filler")
        for shape in [[1, 1, 3, 4], [4, 4]] {
            let e = TestSupport.error({ try f.fill(try Blob(shape: shape), random: RandomSource(seed: 1)) })
            XCTAssertEqual(e?.field, "convolution_param.weight_filler.type")
        }
    }

    func testSameSeedSameValues() throws {
        let a = try filled("type: \"gaussian\" std: 0.1", [50], seed: 3)
        XCTAssertEqual(a, try filled("type: \"gaussian\" std: 0.1", [50], seed: 3))
        XCTAssertNotEqual(a, try filled("type: \"gaussian\" std: 0.1", [50], seed: 4))
    }

    // MARK: Errors

    func testUnknownTypeSuggestsTheClosest() {
        let e = TestSupport.error({ _ = try self.filler("type: \"gausian\"", field: "inner_product_param.weight_filler") })
        XCTAssertEqual(e?.field, "inner_product_param.weight_filler.type")
        XCTAssertTrue(e?.message.contains("unknown filler type 'gausian'") ?? false, e?.message ?? "")
        XCTAssertTrue(e?.hint?.contains("did you mean 'gaussian'?") ?? false, e?.hint ?? "")
        XCTAssertTrue(e?.hint?.contains("msra") ?? false, "the hint lists every filler")
        let far = TestSupport.error({ _ = try self.filler("type: \"zzzzzzzzzz\"") })
        XCTAssertFalse(far?.hint?.contains("did you mean") ?? true)
    }

    func testInvalidParameters() {
        XCTAssertEqual(TestSupport.error({ _ = try self.filler("type: \"uniform\" min: 2 max: 1") })?.field,
                       "weight_filler.min")
        XCTAssertEqual(TestSupport.error({ _ = try self.filler("type: \"gaussian\" std: -1") })?.field,
                       "weight_filler.std")
    }
}
