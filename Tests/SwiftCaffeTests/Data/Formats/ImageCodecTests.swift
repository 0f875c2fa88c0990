import CTurboJPEG
import Foundation
import XCTest
@testable import SwiftCaffe

final class ImageCodecTests: XCTestCase {
    func testPNGRoundTripIsExact() throws {
        for image in [TestImages.noise(channels: 3, height: 5, width: 7), TestImages.noise(channels: 1, height: 4, width: 6)] {
            let bytes = try ImageCodec.encode(image, format: .png)
            XCTAssertEqual(ImageCodec.format(of: bytes), .png)
            XCTAssertEqual(try ImageCodec.decode(bytes, mode: .native, source: "x.png"), image)
        }
    }

    func testJPEGRoundTripIsClose() throws {
        let color = TestImages.gradient(channels: 3, height: 24, width: 32)
        let bytes = try ImageCodec.encode(color, format: .jpg)
        XCTAssertEqual(ImageCodec.format(of: bytes), .jpg)
        let decoded = try ImageCodec.decode(bytes, mode: .native, source: "x.jpg")
        XCTAssertEqual(decoded.shape.description, "3x24x32")
        XCTAssertLessThan(TestImages.meanAbsoluteError(color, decoded), 2.0)
        XCTAssertNotEqual(decoded, Image8(channels: 3, height: 24, width: 32))

        let gray = TestImages.gradient(channels: 1, height: 16, width: 16)
        let grayDecoded = try ImageCodec.decode(try ImageCodec.encode(gray, format: .jpg), mode: .native, source: "g.jpg")
        XCTAssertEqual(grayDecoded.channels, 1)
        XCTAssertLessThan(TestImages.meanAbsoluteError(gray, grayDecoded), 1.5)

        let low = try ImageCodec.encode(TestImages.noise(channels: 3, height: 32, width: 32), format: .jpg, quality: 10)
        let high = try ImageCodec.encode(TestImages.noise(channels: 3, height: 32, width: 32), format: .jpg, quality: 95)
        XCTAssertLessThan(low.count, high.count)
        XCTAssertEqual(TestSupport.error { _ = try ImageCodec.encode(gray, format: .jpg, quality: 0) }?.kind, .usage)
    }

    func testColorModes() throws {
        let color = TestImages.noise(channels: 3, height: 3, width: 4)
        let png = try ImageCodec.encode(color, format: .png)
        let gray = try ImageCodec.decode(png, mode: .gray, source: "c.png")
        XCTAssertEqual(gray.channels, 1)
        for i in 0..<12 {
            let (b, g, r) = (Double(color.pixels[i]), Double(color.pixels[12 + i]), Double(color.pixels[24 + i]))
            XCTAssertEqual(Double(gray.pixels[i]), (0.299 * r + 0.587 * g + 0.114 * b).rounded(), accuracy: 1, "pixel \(i)")
        }
        XCTAssertEqual(try ImageCodec.decode(png, mode: .color, source: "c.png"), color)

        let single = TestImages.noise(channels: 1, height: 3, width: 4)
        let grayPNG = try ImageCodec.encode(single, format: .png)
        let expanded = try ImageCodec.decode(grayPNG, mode: .color, source: "g.png")
        XCTAssertEqual(expanded.channels, 3)
        XCTAssertEqual(expanded.pixels, single.pixels + single.pixels + single.pixels)
        XCTAssertEqual(try ImageCodec.decode(grayPNG, mode: .native, source: "g.png").channels, 1)
        XCTAssertEqual(try ImageCodec.decode(grayPNG, mode: .gray, source: "g.png"), single)
    }

    func testLumaWeights() {
        XCTAssertEqual(Image8.luma(b: 0, g: 0, r: 255), 76)    // 0.299 · 255 = 76.2
        XCTAssertEqual(Image8.luma(b: 0, g: 255, r: 0), 150)   // 0.587 · 255 = 149.7
        XCTAssertEqual(Image8.luma(b: 255, g: 0, r: 0), 29)    // 0.114 · 255 = 29.1
        XCTAssertEqual(Image8.luma(b: 255, g: 255, r: 255), 255)
    }

    func testChannelOrderIsBGR() throws {
        // A file written by hand: pixel 0 red, pixel 1 blue (RGB order in the file).
        let file = RawPNG.make(width: 2, height: 1, colorType: 2, rows: [[255, 0, 0, 0, 0, 255]])
        let image = try ImageCodec.decode(file, mode: .color, source: "rb.png")
        XCTAssertEqual(image.pixels, [0, 255, 0, 0, 255, 0])  // B plane, G plane, R plane

        // JPEG: a red image from our encoder, decoded as gray, has red's luma (not blue's),
        // so the encoder wrote channel 2 as red; decoded in colour, channel 2 is high.
        var red = Image8(channels: 3, height: 16, width: 16)
        for i in 0..<256 { red.pixels[512 + i] = 255 }
        let jpeg = try ImageCodec.encode(red, format: .jpg)
        let gray = try ImageCodec.decode(jpeg, mode: .gray, source: "red.jpg")
        XCTAssertEqual(Double(gray.pixels[8 * 16 + 8]), 76, accuracy: 3)
        let decoded = try ImageCodec.decode(jpeg, mode: .color, source: "red.jpg")
        XCTAssertGreaterThan(decoded[2, 8, 8], 240)
        XCTAssertLessThan(decoded[0, 8, 8], 15)
        XCTAssertLessThan(decoded[1, 8, 8], 15)
    }

    func testAlphaIsDroppedNotComposited() throws {
        // Fully transparent red and half-transparent green keep their colours, as OpenCV.
        let rgba = RawPNG.make(width: 2, height: 1, colorType: 6, rows: [[255, 0, 0, 0, 0, 200, 0, 128]])
        let image = try ImageCodec.decode(rgba, mode: .native, source: "a.png")
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, [0, 0, 0, 200, 255, 0])
        let grayAlpha = RawPNG.make(width: 1, height: 1, colorType: 4, rows: [[90, 0]])
        XCTAssertEqual(try ImageCodec.decode(grayAlpha, mode: .native, source: "ga.png"),
                       Image8(channels: 1, height: 1, width: 1, pixels: [90]))
    }

    func testCMYKJPEGIsConvertedAsOpenCVDoes() throws {
        // Adobe-style (inverted) CMYK as libjpeg returns it: C = 255, K = 255 is red.
        let width = 16, height = 16
        let cmyk = [UInt8]((0..<(width * height)).flatMap { _ in [255, 0, 0, 255] as [UInt8] })
        let handle = try XCTUnwrap(tjInitCompress())
        defer { tjDestroy(handle) }
        var jpeg: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = cmyk.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_CMYK.rawValue), &jpeg, &size,
                        Int32(TJSAMP_444.rawValue), 95, 0)
        }
        XCTAssertEqual(rc, 0)
        let bytes = [UInt8](UnsafeBufferPointer(start: try XCTUnwrap(jpeg), count: Int(size)))
        tjFree(jpeg)
        let image = try ImageCodec.decode(bytes, mode: .native, source: "cmyk.jpg")
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(Double(image[2, 8, 8]), 255, accuracy: 3)   // R = K − (255 − C)·K/256
        XCTAssertEqual(Double(image[1, 8, 8]), 1, accuracy: 3)     // G = 255 − 255·255/256 = 1
        XCTAssertEqual(Double(image[0, 8, 8]), 1, accuracy: 3)
        XCTAssertEqual(try ImageCodec.decode(bytes, mode: .gray, source: "cmyk.jpg").channels, 1)
    }

    func testSixteenBitPNGIsScaledNotGammaEncoded() throws {
        // Samples 0x8000 and 0xFFFF: scaled to 8 bits they are 128 and 255; read as
        // linear light (libpng's default for 16-bit files) 0x8000 would become ~188.
        let file = RawPNG.make(width: 2, height: 1, colorType: 0, bitDepth: 16, rows: [[0x80, 0x00, 0xFF, 0xFF]])
        XCTAssertEqual(try ImageCodec.decode(file, mode: .native, source: "16.png").pixels, [128, 255])
    }

    func testTruncatedAndGarbageAreErrorsNamingTheSource() throws {
        let jpeg = try ImageCodec.encode(TestImages.noise(channels: 3, height: 64, width: 64), format: .jpg)
        let half = Array(jpeg.prefix(jpeg.count / 2))
        let truncated = TestSupport.error { _ = try ImageCodec.decode(half, mode: .color, source: "img/cat.jpg") }
        XCTAssertEqual(truncated?.kind, .io)
        XCTAssertTrue(truncated?.message.hasPrefix("'img/cat.jpg' is not a complete JPEG image (truncated or corrupt)") ?? false,
                      truncated?.message ?? "")
        XCTAssertNotNil(truncated?.hint)

        let png = try ImageCodec.encode(TestImages.noise(channels: 3, height: 32, width: 32), format: .png)
        let cutPNG = TestSupport.error { _ = try ImageCodec.decode(Array(png.prefix(png.count / 2)), mode: .native, source: "p.png") }
        XCTAssertTrue(cutPNG?.message.hasPrefix("'p.png' is not a complete PNG image") ?? false, cutPNG?.message ?? "")

        let garbage = TestSupport.error { _ = try ImageCodec.decode([1, 2, 3, 4, 5, 6, 7, 8, 9], mode: .color, source: "g.jpg") }
        XCTAssertEqual(garbage?.message, "'g.jpg' is not a JPEG or PNG image: SwiftCaffe reads JPEG and PNG images")

        let fakeJPEG = TestSupport.error {
            _ = try ImageCodec.decode([0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x41, count: 40), mode: .color, source: "f.jpg")
        }
        XCTAssertTrue(fakeJPEG?.message.hasPrefix("'f.jpg' is not a") ?? false, fakeJPEG?.message ?? "")

        let gif = TestSupport.error { _ = try ImageCodec.decode(Array("GIF89a....".utf8), mode: .color, source: "x.gif") }
        XCTAssertTrue(gif?.message.contains("is a GIF image") ?? false, gif?.message ?? "")
        let empty = TestSupport.error { _ = try ImageCodec.decode([], mode: .color, source: "e.png") }
        XCTAssertEqual(empty?.message, "'e.png' is empty, not an image")

        let record = TestSupport.error {
            _ = try ImageCodec.decode(half, mode: .native, source: "record '00000003_cat.jpg' of 'train_lmdb'")
        }
        XCTAssertTrue(record?.message.hasPrefix("record '00000003_cat.jpg' of 'train_lmdb' is not") ?? false,
                      record?.message ?? "")
    }

    func testHeader() throws {
        let jpeg = try ImageCodec.encode(TestImages.gradient(channels: 3, height: 9, width: 11), format: .jpg)
        XCTAssertEqual(try jpeg.withUnsafeBytes { try ImageCodec.header($0, source: "h.jpg") },
                       ImageCodec.Header(format: .jpg, channels: 3, height: 9, width: 11))
        let png = try ImageCodec.encode(TestImages.gradient(channels: 1, height: 4, width: 3), format: .png)
        XCTAssertEqual(try png.withUnsafeBytes { try ImageCodec.header($0, source: "h.png") },
                       ImageCodec.Header(format: .png, channels: 1, height: 4, width: 3))
    }

    func testBilinearUpscaleByHand() {
        // Along each axis 2 → 4 samples at source -0.25 (clamped), 0.25, 0.75, 1.25 (clamped):
        // [a, .75a + .25b, .25a + .75b, b].
        let image = Image8(channels: 1, height: 2, width: 2, pixels: [0, 100, 200, 40])
        let up = image.resized(height: 4, width: 4)
        XCTAssertEqual(up.pixels, [
            0, 25, 75, 100,
            50, 59, 76, 85,      // .75·row0 + .25·row1: 50, 58.75, 76.25, 85
            150, 126, 79, 55,    // .25·row0 + .75·row1: 150, 126.25, 78.75, 55
            200, 160, 80, 40,
        ])
        let twoChannels = Image8(channels: 2, height: 2, width: 2, pixels: [0, 100, 200, 40, 10, 10, 10, 10])
        XCTAssertEqual(Array(twoChannels.resized(height: 4, width: 4).pixels.suffix(16)), [UInt8](repeating: 10, count: 16))
    }

    func testBilinearDownscaleAndIdentity() {
        // 4 → 2: destination centres fall at source 0.5 and 2.5.
        let row = Image8(channels: 1, height: 1, width: 4, pixels: [10, 20, 30, 50])
        XCTAssertEqual(row.resized(height: 1, width: 2).pixels, [15, 40])
        let image = TestImages.noise(channels: 3, height: 5, width: 6)
        XCTAssertEqual(image.resized(height: 5, width: 6), image)
        XCTAssertEqual(image.resized(height: 10, width: 3).shape.description, "3x10x3")
    }

    func testShorterSideAndCenterCrop() {
        let wide = TestImages.gradient(channels: 3, height: 40, width: 60)
        XCTAssertEqual(wide.resizedShorterSide(20).shape.description, "3x20x30")
        let tall = TestImages.gradient(channels: 1, height: 50, width: 20)
        XCTAssertEqual(tall.resizedShorterSide(10).shape.description, "1x25x10")
        XCTAssertEqual(TestImages.gradient(channels: 3, height: 375, width: 500).resizedShorterSide(256)
            .centerCropped(height: 256, width: 256).shape.description, "3x256x256")
        XCTAssertEqual(TestImages.gradient(channels: 3, height: 333, width: 500).resizedShorterSide(256).width, 384)

        let grid = Image8(channels: 1, height: 4, width: 5, pixels: (0..<20).map { UInt8($0) })
        XCTAssertEqual(grid.centerCropped(height: 2, width: 3).pixels, [6, 7, 8, 11, 12, 13])
        XCTAssertEqual(grid.centerCropped(height: 4, width: 5), grid)
    }
}
