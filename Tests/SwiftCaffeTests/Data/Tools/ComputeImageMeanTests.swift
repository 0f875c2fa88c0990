import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

final class ComputeImageMeanTests: XCTestCase {
    /// Writes raw Datums (C×H×W bytes) into a new LMDB and returns its path.
    private func makeDatabase(_ images: [Image8], encoded: ImageCodec.Format? = nil) throws -> String {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("db").path
        let db = try LMDBDatabase(path: path, mode: .create)
        for (index, image) in images.enumerated() {
            var datum = Caffe_Datum()
            if let encoded {
                datum.encoded = true
                datum.data = Data(try ImageCodec.encode(image, format: encoded))
            } else {
                datum.channels = Int32(image.channels)
                datum.height = Int32(image.height)
                datum.width = Int32(image.width)
                datum.data = Data(image.pixels)
            }
            let value: [UInt8] = try datum.serializedBytes()
            try db.put(key: ImagesetConverter.key(index: index, path: "i\(index).png"), value: value)
        }
        try db.close()
        return path
    }

    func testMeanByHand() throws {
        let images = [
            Image8(channels: 1, height: 2, width: 2, pixels: [0, 10, 20, 30]),
            Image8(channels: 1, height: 2, width: 2, pixels: [6, 20, 10, 0]),
            Image8(channels: 1, height: 2, width: 2, pixels: [3, 0, 3, 3]),
        ]
        let db = try makeDatabase(images)
        let meanPath = (db as NSString).deletingLastPathComponent + "/mean.binaryproto"
        let result = try ImageMeanComputer.computeAndWrite(databasePath: db, meanPath: meanPath)
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(result.mean.data, [3, 10, 11, 11])
        XCTAssertEqual([result.mean.num, result.mean.channels, result.mean.height, result.mean.width], [1, 1, 2, 2])
        XCTAssertEqual(result.mean.shape.dim, [1, 1, 2, 2])
        XCTAssertEqual(result.channelMeans, [8.75])
        XCTAssertEqual(result.summaryLines, ["Number of channels: 1", "mean_value channel [0]: 8.75"])
        XCTAssertTrue(result.mean.pcaEigenvalue.isEmpty)

        let written = try Caffe_BlobProto(serializedBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: meanPath))))
        XCTAssertEqual(written, result.mean)
    }

    func testColourMeanPerChannelAndEncodedRecords() throws {
        // Two 3×1×2 images: channel c of image k is constant 10·c + 4·k.
        let images = (0..<2).map { (k: Int) -> Image8 in
            var pixels: [UInt8] = []
            for c in 0..<3 { pixels += [UInt8(10 * c + 4 * k), UInt8(10 * c + 4 * k)] }
            return Image8(channels: 3, height: 1, width: 2, pixels: pixels)
        }
        for format in [nil, ImageCodec.Format.png] {
            let result = try ImageMeanComputer.compute(databasePath: try makeDatabase(images, encoded: format))
            XCTAssertEqual(result.mean.data, [2, 2, 12, 12, 22, 22])
            XCTAssertEqual(result.channelMeans, [2, 12, 22])
            XCTAssertEqual(result.mean.shape.dim, [1, 3, 1, 2])
        }
    }

    func testShapeMismatchNamesTheRecord() throws {
        let db = try makeDatabase([TestImages.noise(channels: 3, height: 2, width: 2),
                                   TestImages.noise(channels: 3, height: 3, width: 2)])
        let error = TestSupport.error { _ = try ImageMeanComputer.compute(databasePath: db) }
        XCTAssertEqual(error?.message, "record '00000001_i1.png' in '\(db)' is 3x3x2 (channels x height x width) "
                       + "but the first record '00000000_i0.png' is 3x2x2")
    }

    func testPCAOfOneColourDirection() throws {
        // Every pixel is base + t·(1, 2, 2) (B, G, R), t = 0, 5, …, 35 over the two images:
        // the covariance is var(t)·ddᵀ with var(t) = 25 · 63/12 = 131.25, so one eigenvalue
        // 131.25 · |d|² = 1181.25 with eigenvector d/3, and two zeros. Stored on the
        // [0, 1] scale: 1181.25 / 255² = 0.0181661…
        let images = (0..<2).map { k -> Image8 in
            let ts: [Int] = (0..<4).map { 5 * (2 * $0 + k) }
            var planes: [UInt8] = []
            for (base, step) in [(50, 1), (60, 2), (70, 2)] {
                for t in ts { planes.append(UInt8(base + step * t)) }
            }
            return Image8(channels: 3, height: 2, width: 2, pixels: planes)
        }
        let db = try makeDatabase(images)
        let meanPath = (db as NSString).deletingLastPathComponent + "/mean.binaryproto"
        let result = try ImageMeanComputer.computeAndWrite(databasePath: db, meanPath: meanPath, pca: true)
        let values = try XCTUnwrap(result.eigenvalues), vectors = try XCTUnwrap(result.eigenvectors)
        XCTAssertEqual(values[0], 1181.25 / 65025, accuracy: 1e-12)
        XCTAssertEqual(values[1], 0, accuracy: 1e-6)
        XCTAssertEqual(values[2], 0, accuracy: 1e-6)
        for (got, want) in zip(vectors[0], [1.0 / 3, 2.0 / 3, 2.0 / 3]) { XCTAssertEqual(got, want, accuracy: 1e-9) }

        let written = try Caffe_BlobProto(serializedBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: meanPath))))
        XCTAssertEqual(written.pcaEigenvalue.count, 3)
        XCTAssertEqual(written.pcaEigenvalue[0], Float(1181.25 / 65025), accuracy: 1e-8)
        XCTAssertEqual(written.pcaEigenvector.count, 9)
        XCTAssertEqual(written.pcaEigenvector[0], 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(written.pcaEigenvector[2], 2.0 / 3, accuracy: 1e-6)
        for k in 0..<3 {  // unit length, mutually orthogonal
            let v = written.pcaEigenvector[(3 * k)..<(3 * k + 3)].map(Double.init)
            XCTAssertEqual(v.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-6)
        }
        XCTAssertTrue(result.summaryLines.contains { $0.hasPrefix("pca eigenvalue [0]: 0.018166") }, "\(result.summaryLines)")
    }

    func testJacobiOnHandComputedMatrix() {
        // [[2,1,0],[1,2,0],[0,0,5]]: 5 on e3; 3 on (1,1,0)/√2; 1 on (1,−1,0)/√2.
        let (values, vectors) = ImageMeanComputer.symmetricEigen3([[2, 1, 0], [1, 2, 0], [0, 0, 5]])
        XCTAssertEqual(values[0], 5, accuracy: 1e-12)
        XCTAssertEqual(values[1], 3, accuracy: 1e-12)
        XCTAssertEqual(values[2], 1, accuracy: 1e-12)
        let r = 1 / 2.0.squareRoot()
        for (got, want) in zip(vectors[0], [0.0, 0, 1]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        for (got, want) in zip(vectors[1], [r, r, 0]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        XCTAssertEqual(abs(vectors[2][0] * r - vectors[2][1] * r), 1, accuracy: 1e-12)  // ±(1,−1,0)/√2

        // A dense matrix: A·v = λ·v, orthonormal, eigenvalues sum to the trace.
        let a: [[Double]] = [[4, 1, 2], [1, 3, 0.5], [2, 0.5, 5]]
        let (dense, basis) = ImageMeanComputer.symmetricEigen3(a)
        XCTAssertGreaterThanOrEqual(dense[0], dense[1])
        XCTAssertGreaterThanOrEqual(dense[1], dense[2])
        XCTAssertEqual(dense.reduce(0, +), 12, accuracy: 1e-10)
        for k in 0..<3 {
            for i in 0..<3 {
                let av = (0..<3).map { a[i][$0] * basis[k][$0] }.reduce(0, +)
                XCTAssertEqual(av, dense[k] * basis[k][i], accuracy: 1e-10)
            }
            for l in 0..<3 {
                let dot = (0..<3).map { basis[k][$0] * basis[l][$0] }.reduce(0, +)
                XCTAssertEqual(dot, k == l ? 1 : 0, accuracy: 1e-10)
            }
        }
    }

    func testPCANeedsThreeChannelsAndRecords() throws {
        let gray = try makeDatabase([TestImages.noise(channels: 1, height: 2, width: 2)])
        let error = TestSupport.error { _ = try ImageMeanComputer.compute(databasePath: gray, pca: true) }
        XCTAssertEqual(error?.message, "--pca needs 3-channel (colour) images, but record '00000000_i0.png' in "
                       + "'\(gray)' has 1 channel")
        XCTAssertNoThrow(try ImageMeanComputer.compute(databasePath: gray))

        let empty = try makeDatabase([])
        XCTAssertTrue(TestSupport.error { _ = try ImageMeanComputer.compute(databasePath: empty) }?
            .message.contains("holds no records") ?? false)
    }

    func testCommandLinePCA() throws {
        let db = try makeDatabase([TestImages.noise(channels: 3, height: 4, width: 4), TestImages.noise(channels: 3, height: 4, width: 4, seed: 9)])
        let mean = (db as NSString).deletingLastPathComponent + "/m.binaryproto"
        let r = try SwiftCaffeExecutable.run(["compute-image-mean", "--pca", db, mean])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("pca eigenvalue [2]: "), r.stdout)
        let blob = try Caffe_BlobProto(serializedBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: mean))))
        XCTAssertEqual(blob.pcaEigenvector.count, 9)

        let gray = try makeDatabase([TestImages.noise(channels: 1, height: 2, width: 2)])
        let bad = try SwiftCaffeExecutable.run(["compute-image-mean", "--pca", gray, mean + "2"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--pca needs 3-channel"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: mean + "2"))
    }
}
