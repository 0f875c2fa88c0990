import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// WindowData on generated images and window files: foreground/background split and
/// labels, crops checked by hand (warp, context padding with clipping, square mode,
/// mirroring), mean and scale, JPEG through the project's decoder, cache_images, and
/// errors that point into the window file.
final class WindowDataTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    /// 3 × 8 × 10 (height 8, width 10): pixel (c, y, x) = 60c + 6y + x.
    private let image: Image8 = {
        var image = Image8(channels: 3, height: 8, width: 10)
        for c in 0..<3 { for y in 0..<8 { for x in 0..<10 { image[c, y, x] = UInt8(60 * c + 6 * y + x) } } }
        return image
    }()

    private func writeImage(_ image: Image8, _ name: String, format: ImageCodec.Format = .png) throws {
        try Data(try ImageCodec.encode(image, format: format)).write(to: directory.appendingPathComponent(name))
    }

    /// A window file for one image; `windows` are "class overlap x1 y1 x2 y2" lines.
    private func windowFile(_ windows: [String], image: String = "img.png", channels: Int = 3) throws -> String {
        let url = directory.appendingPathComponent("windows.txt")
        let text = "# 0\n\(image)\n\(channels)\n8\n10\n\(windows.count)\n" + windows.joined(separator: "\n") + "\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func net(_ source: String, crop: Int = 3, batch: Int = 2, fgFraction: Float = 0.5,
                     transform: String = "", window: String = "") throws -> Net {
        try TestSupport.buildNet("""
            layer { name: "data" type: "WindowData" top: "data" top: "label"
                    transform_param { crop_size: \(crop) \(transform) }
                    window_data_param { source: "\(source)" batch_size: \(batch) fg_fraction: \(fgFraction) fg_threshold: 0.5
                                        bg_threshold: 0.3 root_folder: "\(directory.path)" \(window) } }
            """)
    }

    /// The pixels x1…x2, y1…y2 of `image`, planar, as floats.
    private func region(_ image: Image8, x1: Int, y1: Int, x2: Int, y2: Int, mirror: Bool = false) -> [Float] {
        var out: [Float] = []
        for c in 0..<3 { for y in y1...y2 { for x in x1...x2 {
            out.append(Float(image[c, y, mirror ? x1 + x2 - x : x]))
        } } }
        return out
    }

    func testBackgroundThenForegroundWindowsCutExactly() throws {
        try writeImage(image, "img.png")
        // fg (overlap ≥ 0.5), bg (< 0.3, class forced to 0), and one used by neither.
        let net = try net(try windowFile(["2 0.8 2 1 4 3", "5 0.1 6 4 8 6", "7 0.4 0 0 2 2"]))
        XCTAssertEqual(net.blob(named: "data")?.shape, [2, 3, 3, 3])
        XCTAssertEqual(net.blob(named: "label")?.shape, [2])
        for _ in 0..<3 {
            _ = try net.forward()
            XCTAssertEqual(net.blob(named: "label")?.dataArray, [0, 2])
            let data = try XCTUnwrap(net.blob(named: "data")).dataArray
            XCTAssertEqual(Array(data[0..<27]), region(image, x1: 6, y1: 4, x2: 8, y2: 6))
            XCTAssertEqual(Array(data[27..<54]), region(image, x1: 2, y1: 1, x2: 4, y2: 3))
        }
    }

    func testMirrorMeanValueAndScale() throws {
        try writeImage(image, "img.png")
        let net = try net(try windowFile(["1 0.9 2 1 4 3", "0 0.0 2 1 4 3"]),
                          transform: "mirror: true mean_value: 10", window: "scale: 0.5")
        let plain = region(image, x1: 2, y1: 1, x2: 4, y2: 3).map { ($0 - 10) * 0.5 }
        let flipped = region(image, x1: 2, y1: 1, x2: 4, y2: 3, mirror: true).map { ($0 - 10) * 0.5 }
        var seen = Set<Bool>()
        for _ in 0..<10 {
            _ = try net.forward()
            let data = try XCTUnwrap(net.blob(named: "data")).dataArray
            for item in 0..<2 {
                let crop = Array(data[(27 * item)..<(27 * item + 27)])
                XCTAssertTrue(crop == plain || crop == flipped, "crop \(item) is neither the window nor its mirror")
                seen.insert(crop == flipped)
            }
        }
        XCTAssertEqual(seen, [false, true], "both orientations occur in 20 draws")
    }

    func testContextPaddingGrowsClipsAndPlacesTheWindow() throws {
        // Window 0…3 × 0…3, crop 8, context_pad 2: scale 8/(8 − 4) = 2 about the centre (2, 2)
        // gives −2…6; clipped to 0…6 (7 pixels of the 9), warped at 8/9 to round(6.2) = 6
        // pixels placed after round(2 · 8/9) = 2 pixels of padding.
        let p = WindowReader.placement(x1: 0, y1: 0, x2: 3, y2: 3, imageWidth: 10, imageHeight: 8,
                                       cropSize: 8, contextPad: 2, square: false, mirror: false)
        XCTAssertEqual(p, .init(x1: 0, y1: 0, x2: 6, y2: 6, warpedWidth: 6, warpedHeight: 6, padLeft: 2, padTop: 2))
        // Mirrored, the padding moves to the right: nothing was cut off there.
        let m = WindowReader.placement(x1: 0, y1: 0, x2: 3, y2: 3, imageWidth: 10, imageHeight: 8,
                                       cropSize: 8, contextPad: 2, square: false, mirror: true)
        XCTAssertEqual(m.padLeft, 0)
        XCTAssertEqual(m.padTop, 2)

        try writeImage(image, "img.png")
        let net = try net(try windowFile(["1 0.9 0 0 3 3"]), crop: 8, batch: 1, fgFraction: 1, window: "context_pad: 2")
        _ = try net.forward()
        let data = try XCTUnwrap(net.blob(named: "data")).dataArray
        let warped = WindowReader.cut(image, x1: 0, y1: 0, x2: 6, y2: 6).resized(height: 6, width: 6)
        for c in 0..<3 { for y in 0..<8 { for x in 0..<8 {
            let expected: Float = y < 2 || x < 2 ? 0 : Float(warped[c, y - 2, x - 2])
            XCTAssertEqual(data[(c * 8 + y) * 8 + x], expected, "c \(c) y \(y) x \(x)")
        } } }
    }

    func testSquareModeTakesTheLongerSide() {
        // 2 wide, 4 tall at x 3…4, y 1…4: half sides 1 and 2 → 2 and 2 about (4, 3): x 2…6, y 1…5
        // (Caffe's rounding makes it 5 pixels), warped whole to 4 × 4.
        let p = WindowReader.placement(x1: 3, y1: 1, x2: 4, y2: 4, imageWidth: 10, imageHeight: 8,
                                       cropSize: 4, contextPad: 0, square: true, mirror: false)
        XCTAssertEqual(p, .init(x1: 2, y1: 1, x2: 6, y2: 5, warpedWidth: 4, warpedHeight: 4, padLeft: 0, padTop: 0))
        // warp mode without context: the window itself.
        let w = WindowReader.placement(x1: 3, y1: 1, x2: 4, y2: 4, imageWidth: 10, imageHeight: 8,
                                       cropSize: 4, contextPad: 0, square: false, mirror: false)
        XCTAssertEqual(w, .init(x1: 3, y1: 1, x2: 4, y2: 4, warpedWidth: 4, warpedHeight: 4, padLeft: 0, padTop: 0))
    }

    func testJPEGThroughTheProjectDecoderWithAndWithoutTheCache() throws {
        let photo = TestImages.gradient(channels: 3, height: 8, width: 10)
        try writeImage(photo, "img.jpg", format: .jpg)
        let decoded = try ImageCodec.decode([UInt8](try Data(contentsOf: directory.appendingPathComponent("img.jpg"))),
                                            mode: .color, source: "img.jpg")
        let source = try windowFile(["3 1.0 0 0 9 7"], image: "img.jpg")
        for cache in [false, true] {
            let net = try net(source, crop: 4, batch: 1, fgFraction: 1, window: "cache_images: \(cache)")
            _ = try net.forward()
            XCTAssertEqual(net.blob(named: "label")?.dataArray, [3])
            XCTAssertEqual(net.blob(named: "data")?.dataArray,
                           decoded.resized(height: 4, width: 4).pixels.map(Float.init), "cache_images: \(cache)")
        }
    }

    // MARK: - Errors

    func testErrorsPointIntoTheWindowFile() throws {
        try writeImage(image, "img.png")
        var error = TestSupport.error { _ = try self.net(try self.windowFile(["0 0.9 0 0 2 2", "0 0.1 0 0 2 2"])) }
        XCTAssertTrue(error?.message.contains("windows.txt:7: a foreground window") == true, "\(String(describing: error))")
        error = TestSupport.error { _ = try self.net(try self.windowFile(["1 0.9 0 0 2"])) }
        XCTAssertTrue(error?.message.contains("ends where y2 should be") == true, "\(String(describing: error))")
        error = TestSupport.error { _ = try self.net(try self.windowFile(["1 0.9 0 0 2 2"], channels: 1)) }
        XCTAssertTrue(error?.message.contains("windows.txt:3: image 'img.png' has 1 channels") == true, "\(String(describing: error))")
        error = TestSupport.error { _ = try self.net(try self.windowFile(["0 0.1 0 0 2 2"])) }
        XCTAssertEqual(error?.field, "window_data_param.fg_fraction")
        // A window beyond the image shows up when it is read.
        let net = try net(try windowFile(["1 0.9 5 5 12 7"]), batch: 1, fgFraction: 1)
        error = TestSupport.error { _ = try net.forward() }
        XCTAssertTrue(error?.message.contains("windows.txt:7: window (5, 5)–(12, 7) is not inside image") == true,
                      "\(String(describing: error))")
    }

    func testBadParameters() throws {
        let source = try windowFile(["1 0.9 0 0 2 2", "0 0.1 0 0 2 2"])
        XCTAssertEqual(TestSupport.error { _ = try self.net(source, crop: 0) }?.field, "transform_param.crop_size")
        XCTAssertEqual(TestSupport.error { _ = try self.net(source, window: "crop_mode: \"fit\"") }?.field,
                       "window_data_param.crop_mode")
        XCTAssertEqual(TestSupport.error { _ = try self.net(source, window: "context_pad: 2") }?.field,
                       "window_data_param.context_pad")
        XCTAssertEqual(TestSupport.error { _ = try self.net(source, window: "mirror: true") }?.field,
                       "window_data_param.mirror")
        XCTAssertEqual(TestSupport.error { _ = try self.net(source, transform: "scale: 2", window: "scale: 2") }?.field,
                       "transform_param.scale")
    }
}
