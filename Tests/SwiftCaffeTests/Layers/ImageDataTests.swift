import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// The ImageData layer on real PNG and JPEG files: pixels, labels, order, looping,
/// gray and resizing, shuffling and exact repositioning, root_folder, bad lists and
/// bad images, and a small net trained on its output.
final class ImageDataTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    /// Image number i, C × H × W: pixel (c, y, x) = 20i + 4c + 2y + x, so a 3 × 2 × 2
    /// image i holds 20i + 0 … 20i + 11 in planar order.
    private func image(_ i: Int, channels: Int = 3, height: Int = 2, width: Int = 2) -> Image8 {
        var image = Image8(channels: channels, height: height, width: width)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width { image[c, y, x] = UInt8(20 * i + 4 * c + 2 * y + x) }
            }
        }
        return image
    }

    /// Writes `image` as `name` (relative to the test directory), creating folders.
    @discardableResult
    private func write(_ image: Image8, _ name: String, format: ImageCodec.Format = .png) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bytes = try ImageCodec.encode(image, format: format)
        try Data(bytes).write(to: url)
        return bytes
    }

    private func writeList(_ text: String, name: String = "list.txt") throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// An ImageData net reading `list` with root_folder = the test directory.
    private func net(list: String, batch: Int = 2, imageParam: String = "", transform: String = "",
                     phase: String = "TEST", options: NetBuildOptions = NetBuildOptions()) throws -> Net {
        try TestSupport.buildNet("""
            state { phase: \(phase) }
            layer { name: "data" type: "ImageData" top: "data" top: "label"
                    transform_param { \(transform) }
                    image_data_param { source: "\(list)" batch_size: \(batch) root_folder: "\(directory.path)/"
                                       \(imageParam) } }
            """, options: options)
    }

    private func batch(_ net: Net) throws -> (data: [Float], labels: [Float]) {
        _ = try net.forward()
        return (net.blob(named: "data")!.dataArray, net.blob(named: "label")!.dataArray)
    }

    private func values(_ range: ClosedRange<Int>) -> [Float] { range.map { Float($0) } }

    // MARK: - Reading

    func testPixelsLabelsOrderAndWrapAround() throws {
        for i in 0..<3 { try write(image(i), "img\(i).png") }
        let net = try net(list: try writeList("img0.png 5\nimg1.png 6\n\nimg2.png 7\n"))
        XCTAssertEqual(net.blob(named: "data")?.shape, [2, 3, 2, 2])
        XCTAssertEqual(net.blob(named: "label")?.shape, [2])
        var next = try batch(net)
        XCTAssertEqual(next.data, values(0...11) + values(20...31))
        XCTAssertEqual(next.labels, [5, 6])
        next = try batch(net)  // the last image, then the first again
        XCTAssertEqual(next.data, values(40...51) + values(0...11))
        XCTAssertEqual(next.labels, [7, 5])
        XCTAssertEqual(try batch(net).labels, [6, 7])
        let layer = try XCTUnwrap(net.layers.first as? ImageDataLayer)
        XCTAssertEqual(layer.examplesConsumed, 6)
    }

    func testGrayAndResize() throws {
        // Blue then red: luma 0.114 · 255 = 29.07 → 29 and 0.299 · 255 = 76.2 → 76.
        try write(Image8(channels: 3, height: 1, width: 2, pixels: [255, 0, 0, 0, 0, 255]), "bluered.png")
        let gray = try net(list: try writeList("bluered.png 1\n"), batch: 1, imageParam: "is_color: false")
        XCTAssertEqual(gray.blob(named: "data")?.shape, [1, 1, 1, 2])
        XCTAssertEqual(try batch(gray).data, [29, 76])

        // Two sizes, both resized to 3 × 5; a constant image stays constant.
        let constant = { (h: Int, w: Int) in
            Image8(channels: 3, height: h, width: w,
                   pixels: [UInt8](repeating: 10, count: h * w) + [UInt8](repeating: 20, count: h * w)
                       + [UInt8](repeating: 30, count: h * w))
        }
        try write(constant(2, 2), "small.png")
        try write(constant(4, 7), "large.png")
        let resized = try net(list: try writeList("small.png 0\nlarge.png 1\n", name: "sizes.txt"),
                              imageParam: "new_height: 3 new_width: 5")
        XCTAssertEqual(resized.blob(named: "data")?.shape, [2, 3, 3, 5])
        let plane = [Float](repeating: 10, count: 15) + [Float](repeating: 20, count: 15) + [Float](repeating: 30, count: 15)
        XCTAssertEqual(try batch(resized).data, plane + plane)
    }

    func testJPEGIsDecodedAsTheCodecDoes() throws {
        let bytes = try write(TestImages.gradient(channels: 3, height: 8, width: 8), "photo.jpg", format: .jpg)
        let decoded = try ImageCodec.decode(bytes, mode: .color, source: "photo.jpg")
        let net = try net(list: try writeList("photo.jpg 2\n"), batch: 1, transform: "mean_value: 100")
        XCTAssertEqual(try batch(net).data, decoded.pixels.map { Float($0) - 100 })
    }

    func testRootFolderWithoutSlashAndPathsWithSpaces() throws {
        try write(image(1), "my images/a cat.png")
        let list = try writeList("a cat.png 3\n")
        let net = try TestSupport.buildNet("""
            layer { name: "data" type: "ImageData" top: "data" top: "label"
                    image_data_param { source: "\(list)" root_folder: "\(directory.path)/my images" } }
            """)
        XCTAssertEqual(try batch(net).data, values(20...31))
        XCTAssertEqual(try batch(net).labels, [3])
    }

    func testRandSkipStartsInsideTheList() throws {
        for i in 0..<5 { try write(image(i), "img\(i).png") }
        let net = try net(list: try writeList((0..<5).map { "img\($0).png \($0)\n" }.joined()), batch: 1,
                          imageParam: "rand_skip: 5")
        let first = Int(try batch(net).labels[0])
        XCTAssertTrue((0...4).contains(first))
        XCTAssertEqual(Int(try batch(net).labels[0]), (first + 1) % 5)
    }

    // MARK: - Shuffling and resuming

    func testShuffleIsAPermutationPerEpochAndSeekingReproducesIt() throws {
        for i in 0..<5 { try write(image(i), "img\(i).png") }
        let list = try writeList((0..<5).map { "img\($0).png \($0)\n" }.joined())
        let make = { try self.net(list: list, batch: 3, imageParam: "shuffle: true",
                                  transform: "crop_size: 1 mirror: true", phase: "TRAIN") }
        let a = try make()
        var batches: [(data: [Float], labels: [Float])] = []
        for _ in 0..<10 { batches.append(try batch(a)) }
        let labels = batches.flatMap(\.labels).map { Int($0) }
        let data = batches.flatMap(\.data)
        // Six epochs of five: each a permutation, not all in one order.
        let epochs = stride(from: 0, to: 30, by: 5).map { Array(labels[$0..<($0 + 5)]) }
        for epoch in epochs { XCTAssertEqual(epoch.sorted(), [0, 1, 2, 3, 4], "\(epochs)") }
        XCTAssertGreaterThan(Set(epochs).count, 1, "every epoch has its own order: \(epochs)")
        XCTAssertNotEqual(epochs[0], [0, 1, 2, 3, 4])
        // Data stays with its label: the 1 × 1 crop of image i is 20i + 2y + x (+4 per channel).
        for k in 0..<30 {
            let b = data[3 * k], base = Float(20 * labels[k])
            XCTAssertTrue((base...(base + 3)).contains(b), "example \(k): \(b) for label \(labels[k])")
            XCTAssertEqual([data[3 * k + 1], data[3 * k + 2]], [b + 4, b + 8])
        }

        // A second net repositioned mid-run sees the same batches, crops and flips.
        let b = try make()
        let layer = try XCTUnwrap(b.layers.first as? ImageDataLayer)
        try layer.seek(toExample: 12)
        for i in 4..<7 {
            let next = try batch(b)
            XCTAssertEqual(next.labels, batches[i].labels)
            XCTAssertEqual(next.data, batches[i].data)
        }
        XCTAssertEqual(layer.examplesConsumed, 21)
        try layer.seek(toExample: 3)  // back, with batches already prefetched
        XCTAssertEqual(try batch(b).data, batches[1].data)
    }

    // MARK: - Errors in the list

    func testMissingOrEmptyListFile() throws {
        let missing = directory.appendingPathComponent("nothing.txt").path
        let error = TestSupport.error { _ = try self.net(list: missing) }
        XCTAssertTrue(error?.message.contains("'\(missing)' does not exist") ?? false, "\(String(describing: error))")
        XCTAssertEqual(error?.field, "image_data_param.source")
        XCTAssertEqual(error?.layer, "data")
        XCTAssertEqual(error?.location?.file, "test.prototxt")

        let empty = TestSupport.error { _ = try self.net(list: try self.writeList("\n  \n")) }
        XCTAssertTrue(empty?.message.contains("lists no images") ?? false, "\(String(describing: empty))")
        XCTAssertEqual(empty?.field, "image_data_param.source")
    }

    func testLineWithoutLabelOrWithANonIntegerLabel() throws {
        try write(image(0), "a.png")
        let list = try writeList("a.png 0\na.png 1\nimg/a.jpg\n")
        let error = TestSupport.error { _ = try self.net(list: list) }
        XCTAssertEqual(error?.message, "'img/a.jpg' has no label")
        XCTAssertEqual(error?.location, SourceLocation(file: list, line: 3, column: 1))
        XCTAssertNotNil(error?.hint)
        XCTAssertEqual(error?.layer, "data")

        let other = try writeList("a.png cat\n", name: "words.txt")
        let label = TestSupport.error { _ = try self.net(list: other) }
        XCTAssertTrue(label?.message.contains("the label 'cat' of 'a.png' is not an integer") ?? false,
                      "\(String(describing: label))")
        XCTAssertEqual(label?.location?.line, 1)
    }

    // MARK: - Errors in the images

    func testMissingImageNamesThePathAndTheLine() throws {
        try write(image(0), "a.png")
        // The first image is read when the net is built…
        let first = try writeList("gone.png 0\n", name: "first.txt")
        let atBuild = TestSupport.error { _ = try self.net(list: first) }
        XCTAssertTrue(atBuild?.message.contains("'\(directory.path)/gone.png' does not exist") ?? false,
                      "\(String(describing: atBuild))")
        XCTAssertEqual(atBuild?.location, SourceLocation(file: first, line: 1, column: 1))

        // …later ones by the prefetch thread: the error comes out of forward, with the layer.
        let later = try writeList("a.png 0\nsub/gone.png 1\n", name: "later.txt")
        let net = try net(list: later)
        let error = TestSupport.error { _ = try net.forward() }
        XCTAssertTrue(error?.message.contains("'\(directory.path)/sub/gone.png' does not exist") ?? false,
                      "\(String(describing: error))")
        XCTAssertEqual(error?.location, SourceLocation(file: later, line: 2, column: 1))
        XCTAssertEqual(error?.layer, "data")
        XCTAssertNotNil(TestSupport.error { _ = try net.forward() }, "the error stays instead of hanging")
    }

    func testTruncatedJPEGNamesTheFile() throws {
        try write(image(0), "a.png")
        let full = try ImageCodec.encode(TestImages.noise(channels: 3, height: 32, width: 32), format: .jpg)
        try Data(full.prefix(full.count / 2)).write(to: directory.appendingPathComponent("cut.jpg"))
        let net = try net(list: try writeList("a.png 0\ncut.jpg 1\n"))
        let error = TestSupport.error { _ = try net.forward() }
        XCTAssertTrue(error?.message.contains("'\(directory.path)/cut.jpg' is not a complete JPEG image") ?? false,
                      "\(String(describing: error))")
        XCTAssertEqual(error?.location?.line, 2)
        XCTAssertEqual(error?.layer, "data")
    }

    func testImagesOfAnotherSizeNeedCropOrResize() throws {
        try write(image(0), "a.png")
        try write(image(1, height: 3, width: 3), "b.png")
        let list = try writeList("a.png 0\nb.png 1\n")
        let error = TestSupport.error { _ = try self.net(list: list).forward() }
        XCTAssertTrue(error?.message.contains("'\(directory.path)/b.png' is 3x3x3") ?? false,
                      "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("from the first image '\(directory.path)/a.png'") ?? false)
        XCTAssertEqual(error?.location?.line, 2)
        XCTAssertEqual(error?.layer, "data")
        // A 2 × 2 centre crop makes both fit; b's (3 × 3, offset 0) is 20 + 4c + 2y + x.
        let cropped = try batch(try net(list: list, transform: "crop_size: 2"))
        XCTAssertEqual(Array(cropped.data[12..<16]), [20, 21, 22, 23])
    }

    func testParameterErrors() throws {
        let list = try writeList("a.png 0\n")
        let half = TestSupport.error { _ = try self.net(list: list, imageParam: "new_height: 4") }
        XCTAssertEqual(half?.field, "image_data_param.new_width")
        let legacy = TestSupport.error { _ = try self.net(list: list, imageParam: "crop_size: 4") }
        XCTAssertEqual(legacy?.field, "image_data_param.crop_size")
        XCTAssertTrue(legacy?.hint?.contains("transform_param") ?? false)
        let zero = TestSupport.error { _ = try self.net(list: list, batch: 0) }
        XCTAssertEqual(zero?.field, "image_data_param.batch_size")
    }

    // MARK: - Inspecting without the data

    func testInspectOnlyAssumesTheShapeWhenTheListIsMissing() throws {
        let missing = directory.appendingPathComponent("later.txt").path
        var options = NetBuildOptions()
        options.inspectOnly = true
        let resized = try net(list: missing, imageParam: "new_height: 8 new_width: 6", options: options)
        XCTAssertEqual(resized.blob(named: "data")?.shape, [2, 3, 8, 6])
        XCTAssertTrue(resized.notes.contains { $0.contains("3x8x6 from new_height/new_width") }, "\(resized.notes)")
        let cropped = try net(list: missing, imageParam: "is_color: false new_height: 8 new_width: 6",
                              transform: "crop_size: 4", options: options)
        XCTAssertEqual(cropped.blob(named: "data")?.shape, [2, 1, 4, 4])
        let unknown = TestSupport.error { _ = try self.net(list: missing, options: options) }
        XCTAssertTrue(unknown?.message.contains("cannot infer the shape") ?? false)
    }

    // MARK: - In a net

    func testTrainsASoftmaxClassifier() throws {
        try write(image(0), "zero.png")
        try write(image(1), "one.png")
        let list = try writeList("zero.png 0\none.png 1\n")
        let net = try TestSupport.buildNet("""
            layer { name: "data" type: "ImageData" top: "data" top: "label"
                    image_data_param { source: "\(list)" batch_size: 2 root_folder: "\(directory.path)" } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                    inner_product_param { num_output: 2 weight_filler { type: "constant" value: 0 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """)
        // Zero weights: both classes at ½, loss ln 2.
        XCTAssertEqual(try net.forward(), Float(log(2.0)), accuracy: 1e-6)
        try net.backward()
        // ∂L/∂W_k = Σₙ (pₙₖ − yₙₖ) xₙ / N: row 0 = (x₁ − x₀)/4 = 20/4, row 1 the negative.
        let ip = try XCTUnwrap(net.layer(named: "ip"))
        XCTAssertEqual(ip.blobs[0].diffArray, [Float](repeating: 5, count: 12) + [Float](repeating: -5, count: 12))
        XCTAssertEqual(ip.blobs[1].diffArray, [0, 0])
    }
}
