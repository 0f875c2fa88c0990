import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Caffe's DataTransformer semantics, checked with hand-computed values.
final class DataTransformerTests: XCTestCase {
    /// A 2 × 3 × 4 input: channel c, row h, column w holds 100c + 10h + w.
    private let input: [UInt8] = {
        var values: [UInt8] = []
        for c in 0..<2 {
            for h in 0..<3 {
                for w in 0..<4 { values.append(UInt8(100 * c + 10 * h + w)) }
            }
        }
        return values
    }()

    private func transformer(_ text: String, phase: Caffe_Phase = .test) throws -> DataTransformer {
        let (param, _) = try Prototxt.decode(Caffe_TransformationParameter.self, text: text, file: "t.prototxt")
        return try DataTransformer(param: param, phase: phase)
    }

    private func run(_ t: DataTransformer, seed: UInt64 = 1, _ values: [UInt8]? = nil,
                     shape: ExampleShape = ExampleShape(channels: 2, height: 3, width: 4)) throws -> [Float] {
        let values = values ?? input
        let out = try t.outputShape(of: shape, source: "test")
        var output = [Float](repeating: .nan, count: out.count)
        let random = RandomSource(seed: seed)
        try values.withUnsafeBufferPointer { bytes in
            try output.withUnsafeMutableBufferPointer { o in
                try t.transform(bytes: bytes, shape: shape, into: o.baseAddress!, random: random, source: "test")
            }
        }
        return output
    }

    func testScaleAndSingleMeanValue() throws {
        let out = try run(try transformer("scale: 0.5 mean_value: 2"))
        XCTAssertEqual(out.count, 24)
        XCTAssertEqual(out[0], -1)              // (0 - 2) * 0.5
        XCTAssertEqual(out[5], (11 - 2) * 0.5)  // c0 h1 w1
        XCTAssertEqual(out[23], (123 - 2) * 0.5)
    }

    func testPerChannelMeanValues() throws {
        let out = try run(try transformer("mean_value: 1 mean_value: 100"))
        XCTAssertEqual(out[1], 0)        // 1 - 1
        XCTAssertEqual(out[12 + 1], 1)   // 101 - 100
    }

    func testCenterCropInTest() throws {
        // crop 2 of 3 × 4: offsets ((3-2)/2, (4-2)/2) = (0, 1).
        let out = try run(try transformer("crop_size: 2"))
        XCTAssertEqual(out, [1, 2, 11, 12, 101, 102, 111, 112])
    }

    func testRandomCropInTrainStaysInsideAndDependsOnlyOnTheSeed() throws {
        let t = try transformer("crop_size: 2", phase: .train)
        var offsets = Set<[Float]>()
        for seed in 0..<64 as Range<UInt64> {
            let out = try run(t, seed: seed)
            XCTAssertEqual(out, try run(t, seed: seed), "same seed, same crop")
            let (h, w) = (Int(out[0]) / 10, Int(out[0]) % 10)
            XCTAssertTrue((0...1).contains(h) && (0...2).contains(w), "offset (\(h), \(w))")
            // The crop is a contiguous window in both channels.
            XCTAssertEqual(out, [0, 1, 10, 11, 100, 101, 110, 111].map { $0 + out[0] })
            offsets.insert(out)
        }
        XCTAssertEqual(offsets.count, 6, "all 2 × 3 offsets occur")
    }

    func testMirrorFlipsRowsAboutHalfTheTime() throws {
        let t = try transformer("mirror: true")
        var flipped = 0
        for seed in 0..<200 as Range<UInt64> {
            let out = try run(t, seed: seed)
            if out[0] == 3 {
                flipped += 1
                XCTAssertEqual(Array(out[0..<4]), [3, 2, 1, 0])
                XCTAssertEqual(Array(out[12..<16]), [103, 102, 101, 100])
            } else {
                XCTAssertEqual(Array(out[0..<4]), [0, 1, 2, 3])
            }
        }
        XCTAssertTrue((70...130).contains(flipped), "\(flipped) of 200 flipped")
    }

    func testMeanFileIsCroppedAtTheSameOffset() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("mean.binaryproto").path
        // mean[c][h][w] = 100c + 10h + w − 1: every output is exactly 1 if read at the same offset.
        try writeMean(input.map { Float($0) - 1 }, shape: [1, 2, 3, 4], to: path)
        for phase in [Caffe_Phase.train, .test] {
            let t = try transformer("crop_size: 2 mirror: true mean_file: '\(path)'", phase: phase)
            for seed in 0..<20 as Range<UInt64> {
                XCTAssertEqual(try run(t, seed: seed), [Float](repeating: 1, count: 8))
            }
        }
    }

    func testMeanFileOfTheWrongSizeNamesTheFile() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("mean.binaryproto").path
        try writeMean([Float](repeating: 0, count: 3 * 5 * 5), shape: [1, 3, 5, 5], to: path)
        let t = try transformer("mean_file: '\(path)'")
        let error = TestSupport.error { _ = try self.run(t) }
        XCTAssertEqual(error?.field, "transform_param.mean_file")
        XCTAssertTrue(error?.message.contains("'\(path)' is 3x5x5") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("test is 2x3x4") ?? false, error?.message ?? "")
    }

    func testBadSettingsAreErrors() throws {
        XCTAssertEqual(TestSupport.error { _ = try self.transformer("mean_file: '/nonexistent/mean.binaryproto'") }?
            .message.contains("cannot read mean file '/nonexistent/mean.binaryproto'"), true)
        XCTAssertEqual(TestSupport.error { _ = try self.transformer("mean_file: 'm' mean_value: 1") }?.field,
                       "transform_param.mean_value")
        XCTAssertEqual(TestSupport.error { _ = try self.run(try self.transformer("crop_size: 4")) }?.field,
                       "transform_param.crop_size")
        XCTAssertEqual(TestSupport.error { _ = try self.run(try self.transformer("mean_value: 1 mean_value: 2 mean_value: 3")) }?
            .field, "transform_param.mean_value")
        XCTAssertEqual(TestSupport.error { _ = try self.transformer("pca_lighting_std: 0.1") }?.field,
                       "transform_param.pca_lighting_std")
    }

    func testPCALightingShiftsEveryPixelAlongThePrincipalComponents() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("pca.binaryproto").path
        // One component with eigenvalue 0.4 (on the [0, 1] scale) along (1, 1, 1)/√3;
        // the others carry nothing.
        let s = Float(1 / 3.0.squareRoot())
        try writeMean([Float](repeating: 0, count: 3 * 2 * 2), shape: [1, 3, 2, 2], to: path,
                      eigenvalues: [0.4, 0, 0], eigenvectors: [s, s, s, 1, 0, 0, 0, 1, 0])
        let image = [UInt8](repeating: 50, count: 12)
        let train = try transformer("pca_lighting_std: 0.1 pca_file: '\(path)'", phase: .train)
        var shifts: [Float] = []
        for seed in 0..<400 as Range<UInt64> {
            let out = try run(train, seed: seed, image, shape: ExampleShape(channels: 3, height: 2, width: 2))
            let shift = out[0] - 50
            XCTAssertEqual(out, [Float](repeating: 50 + shift, count: 12), accuracy: 1e-3)
            shifts.append(shift)
        }
        // shift = 255 · α · 0.4 / √3 with α ~ N(0, 0.1²): standard deviation
        // 10.2/√3 ≈ 5.89 pixel levels (the seeds are fixed, so this is deterministic).
        let mean = shifts.reduce(0, +) / Float(shifts.count)
        let std = (shifts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(shifts.count)).squareRoot()
        XCTAssertEqual(std, 10.2 / Float(3).squareRoot(), accuracy: 0.6)
        XCTAssertEqual(mean, 0, accuracy: 1)
        // TEST: no lighting.
        let test = try transformer("pca_lighting_std: 0.1 pca_file: '\(path)'", phase: .test)
        XCTAssertEqual(try run(test, image, shape: ExampleShape(channels: 3, height: 2, width: 2)), [Float](repeating: 50, count: 12))
        // A mean file without PCA data is refused with the command that makes one.
        let plain = dir.appendingPathComponent("plain.binaryproto").path
        try writeMean([Float](repeating: 0, count: 12), shape: [1, 3, 2, 2], to: plain)
        let error = TestSupport.error { _ = try self.transformer("pca_lighting_std: 0.1 mean_file: '\(plain)'") }
        XCTAssertEqual(error?.hint?.contains("compute-image-mean --pca"), true)
    }

    private func writeMean(_ values: [Float], shape: [Int64], to path: String,
                           eigenvalues: [Float] = [], eigenvectors: [Float] = []) throws {
        var proto = Caffe_BlobProto()
        proto.shape.dim = shape
        proto.data = values
        proto.pcaEigenvalue = eigenvalues
        proto.pcaEigenvector = eigenvectors
        try proto.serializedData().write(to: URL(fileURLWithPath: path))
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > accuracy {
        XCTFail("\(a) != \(b)", file: file, line: line)
        return
    }
}
