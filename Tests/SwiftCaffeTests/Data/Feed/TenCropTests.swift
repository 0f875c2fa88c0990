import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// The ten test-time patches: positions and mirroring checked against values written out
/// by hand, in the transformer and through a real Data layer.
final class TenCropTests: XCTestCase {
    func testWindowPositionsAndOrder() {
        // A 5 × 6 image, 3 × 4 crops: the corners start at rows 0 and 2, columns 0 and 2;
        // the centre at ((5 − 3) / 2, (6 − 4) / 2) = (1, 1).
        let windows = TenCrop.windows(imageHeight: 5, imageWidth: 6, cropHeight: 3, cropWidth: 4)
        let expected = [(0, 0), (0, 2), (2, 0), (2, 2), (1, 1)]
        XCTAssertEqual(windows.count, 10)
        for (i, window) in windows.enumerated() {
            XCTAssertEqual(window.top, expected[i % 5].0, "\(i)")
            XCTAssertEqual(window.left, expected[i % 5].1, "\(i)")
            XCTAssertEqual(window.height, 3)
            XCTAssertEqual(window.width, 4)
            XCTAssertEqual(window.mirrored, i >= 5, "\(i)")
        }
        XCTAssertEqual(TenCrop.name(0), "top-left")
        XCTAssertEqual(TenCrop.name(9), "centre, mirrored")
        // Odd margins round down, as Caffe's TEST crop: 256 → 227 starts at 14.
        XCTAssertEqual(TenCrop.window(TenCrop.centre, imageHeight: 256, imageWidth: 256, cropHeight: 227,
                                      cropWidth: 227), CropWindow(top: 14, left: 14, height: 227, width: 227))
        XCTAssertEqual(TenCrop.window(3, imageHeight: 256, imageWidth: 256, cropHeight: 227, cropWidth: 227).top, 29)
    }

    private func transformer(_ text: String) throws -> DataTransformer {
        let (param, _) = try Prototxt.decode(Caffe_TransformationParameter.self, text: text, file: "t.prototxt")
        return try DataTransformer(param: param, phase: .test)
    }

    /// Pixel (y, x) = 10y + x on a 1 × 3 × 4 image; crop 2.
    private let image: [UInt8] = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
    private let shape = ExampleShape(channels: 1, height: 3, width: 4)

    func testTransformerWritesTheTenPatchesOneAfterAnother() throws {
        let t = try transformer("crop_size: 2 mean_value: 1 scale: 2 mirror: true")
        t.tenCrop = true
        var out = [Float](repeating: .nan, count: 40)
        try image.withUnsafeBufferPointer { bytes in
            try out.withUnsafeMutableBufferPointer { o in
                try t.transform(bytes: bytes, shape: shape, into: o.baseAddress!, random: RandomSource(seed: 3),
                                source: "test")
            }
        }
        let patches: [[Float]] = [
            [0, 1, 10, 11], [2, 3, 12, 13], [10, 11, 20, 21], [12, 13, 22, 23], [1, 2, 11, 12],   // as they are
            [1, 0, 11, 10], [3, 2, 13, 12], [11, 10, 21, 20], [13, 12, 23, 22], [2, 1, 12, 11],   // mirrored
        ]
        XCTAssertEqual(out, patches.flatMap { $0.map { ($0 - 1) * 2 } })
    }

    /// A mean image is read at the patch's input pixels, also when the patch is mirrored.
    func testMeanImageIsSubtractedAtTheSourcePixels() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        var blob = Caffe_BlobProto()
        blob.shape.dim = [1, 1, 3, 4]
        blob.data = (0..<12).map { Float($0) * 0.5 }   // mean at (y, x) = 0.5 (4y + x)
        let path = dir.appendingPathComponent("mean.binaryproto").path
        try blob.serializedData().write(to: URL(fileURLWithPath: path))
        let t = try transformer("mean_file: \"\(path)\"")
        var out = [Float](repeating: .nan, count: 4)
        let window = CropWindow(top: 1, left: 2, height: 2, width: 2, mirrored: true)
        try image.withUnsafeBufferPointer { bytes in
            try out.withUnsafeMutableBufferPointer { o in
                try t.transform(bytes: bytes, shape: shape, window: window, into: o.baseAddress!, source: "test")
            }
        }
        // Input pixels (1,3), (1,2), (2,3), (2,2): 13 − 3.5, 12 − 3, 23 − 5.5, 22 − 5.
        XCTAssertEqual(out, [9.5, 9, 17.5, 17])
        let outside = TestSupport.error {
            try self.image.withUnsafeBufferPointer { bytes in
                try out.withUnsafeMutableBufferPointer { o in
                    try t.transform(bytes: bytes, shape: self.shape, window: CropWindow(top: 2, left: 0, height: 2, width: 2),
                                    into: o.baseAddress!, source: "'x.png'")
                }
            }
        }
        XCTAssertTrue(outside?.message.contains("does not fit in 'x.png'") ?? false, "\(String(describing: outside))")
    }

    /// A Data layer in 10-crop mode hands each batch out in ten passes, then moves on.
    func testDataLayerHandsOutEachBatchTenTimes() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let db = dir.appendingPathComponent("db").path
        try ClassifierFixtures.writeDatabase(db, count: 3)
        let net = try TestSupport.buildNet("""
            state { phase: TEST }
            layer { name: "data" type: "Data" top: "data" top: "label" transform_param { crop_size: 2 }
                    data_param { source: "\(db)" batch_size: 2 backend: LMDB } }
            """)
        let layer = try XCTUnwrap(net.layers[0] as? PrefetchingDataLayer)
        try layer.useTenCrops()
        XCTAssertTrue(layer.givesTenCrops)
        let crops = (0..<3).map { ClassifierFixtures.handCrops(ClassifierFixtures.record($0)) }
        for (batch, records) in [[0, 1], [2, 0]].enumerated() {
            for v in 0..<10 {
                try net.forward()
                XCTAssertEqual(net.blob(named: "data")?.dataArray, records.flatMap { crops[$0][v] }, "batch \(batch) view \(v)")
                XCTAssertEqual(net.blob(named: "label")?.dataArray, records.map { Float($0 % 3) })
            }
            XCTAssertEqual(layer.examplesConsumed, Int64(2 * (batch + 1)))
        }
    }

    /// The same through an ImageData layer: gray PNG files named in a list.
    func testImageDataLayerGivesTheTenPatchesOfEachImage() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        var list = ""
        for i in 0..<2 {
            let rows = ClassifierFixtures.record(i).map { $0.map { UInt8($0) } }
            try Data(RawPNG.make(width: 4, height: 3, colorType: 0, rows: rows))
                .write(to: dir.appendingPathComponent("image\(i).png"))
            list += "image\(i).png \(5 + i)\n"
        }
        try list.write(to: dir.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        let net = try TestSupport.buildNet("""
            state { phase: TEST }
            layer { name: "data" type: "ImageData" top: "data" top: "label" transform_param { crop_size: 2 }
                    image_data_param { source: "\(dir.path)/list.txt" root_folder: "\(dir.path)/" batch_size: 2
                                       is_color: false } }
            """)
        try XCTUnwrap(net.layers[0] as? PrefetchingDataLayer).useTenCrops()
        let crops = (0..<2).map { ClassifierFixtures.handCrops(ClassifierFixtures.record($0)) }
        for v in 0..<10 {
            try net.forward()
            XCTAssertEqual(net.blob(named: "data")?.dataArray, crops[0][v] + crops[1][v], "view \(v)")
            XCTAssertEqual(net.blob(named: "label")?.dataArray, [5, 6])
        }
    }

    func testTenCropsNeedACropSize() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let db = dir.appendingPathComponent("db").path
        try ClassifierFixtures.writeDatabase(db, count: 2)
        let net = try TestSupport.buildNet("""
            layer { name: "data" type: "Data" top: "data" data_param { source: "\(db)" batch_size: 1 backend: LMDB } }
            """)
        let error = TestSupport.error { try (net.layers[0] as? PrefetchingDataLayer)?.useTenCrops() }
        XCTAssertEqual(error?.field, "transform_param.crop_size")
        XCTAssertTrue(error?.hint?.contains("crop_size") ?? false)
    }
}
