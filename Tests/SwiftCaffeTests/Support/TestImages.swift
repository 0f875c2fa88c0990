import Foundation
@testable import SwiftCaffe

/// Test images with structure (so JPEG has something smooth to compress).
enum TestImages {
    static func gradient(channels: Int, height: Int, width: Int, seed: Int = 0) -> Image8 {
        var image = Image8(channels: channels, height: height, width: width)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    // Smooth ramps that never wrap for the sizes used here (JPEG-friendly).
                    image[c, y, x] = UInt8((30 + 40 * c + 2 * y + 2 * x + 3 * seed) % 256)
                }
            }
        }
        return image
    }

    static func noise(channels: Int, height: Int, width: Int, seed: UInt64 = 7) -> Image8 {
        let random = RandomSource(seed: seed)
        let pixels = (0..<(channels * height * width)).map { _ in UInt8(truncatingIfNeeded: random.nextUInt64()) }
        return Image8(channels: channels, height: height, width: width, pixels: pixels)
    }

    static func meanAbsoluteError(_ a: Image8, _ b: Image8) -> Double {
        zip(a.pixels, b.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(max(1, a.pixels.count))
    }
}
