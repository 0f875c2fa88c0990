import CaffeProto
import XCTest
@testable import SwiftCaffe

/// im2col/col2im against a hand case, against a direct (bounds-checking) reference on
/// many geometries, and col2im as the adjoint of im2col.
final class Im2colTests: XCTestCase {
    func geometry(kernel: (Int, Int), stride: (Int, Int) = (1, 1), pad: (Int, Int) = (0, 0),
                  dilation: (Int, Int) = (1, 1)) -> ConvolutionGeometry {
        var g = ConvolutionGeometry()
        (g.kernelH, g.kernelW) = kernel
        (g.strideH, g.strideW) = stride
        (g.padH, g.padW) = pad
        (g.dilationH, g.dilationW) = dilation
        return g
    }

    /// Caffe's definition, element by element.
    func reference(_ image: [Float], channels: Int, height: Int, width: Int, _ g: ConvolutionGeometry) -> [Float] {
        let (oh, ow) = g.outputSize(height: height, width: width)
        var columns = [Float](repeating: .nan, count: channels * g.kernelH * g.kernelW * oh * ow)
        for c in 0..<channels {
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let row = (c * g.kernelH + i) * g.kernelW + j
                    for y in 0..<oh {
                        for x in 0..<ow {
                            let r = y * g.strideH - g.padH + i * g.dilationH
                            let q = x * g.strideW - g.padW + j * g.dilationW
                            let inside = r >= 0 && r < height && q >= 0 && q < width
                            columns[row * oh * ow + y * ow + x] = inside ? image[(c * height + r) * width + q] : 0
                        }
                    }
                }
            }
        }
        return columns
    }

    func im2col(_ image: [Float], channels: Int, height: Int, width: Int, _ g: ConvolutionGeometry) -> [Float] {
        let (oh, ow) = g.outputSize(height: height, width: width)
        var columns = [Float](repeating: .nan, count: channels * g.kernelH * g.kernelW * oh * ow)
        image.withUnsafeBufferPointer { src in
            columns.withUnsafeMutableBufferPointer { dst in
                Im2col.im2col(src.baseAddress!, channels: channels, height: height, width: width,
                              geometry: g, columns: dst.baseAddress!)
            }
        }
        return columns
    }

    func testHandCase() {
        // 3×3 image 1…9, 2×2 kernel: one row per kernel offset, one column per output.
        let columns = im2col((1...9).map(Float.init), channels: 1, height: 3, width: 3, geometry(kernel: (2, 2)))
        XCTAssertEqual(columns, [1, 2, 4, 5,
                                 2, 3, 5, 6,
                                 4, 5, 7, 8,
                                 5, 6, 8, 9])
    }

    func testPaddedHandCase() {
        // pad 1, 3×3 kernel, stride 2 on 3×3 → 2×2; the kernel centre reads (2y−1+1, 2x−1+1).
        let columns = im2col((1...9).map(Float.init), channels: 1, height: 3, width: 3,
                             geometry(kernel: (3, 3), stride: (2, 2), pad: (1, 1)))
        XCTAssertEqual(Array(columns[0..<4]), [0, 0, 0, 5])      // offset (0,0): only (1,1) is inside
        XCTAssertEqual(Array(columns[16..<20]), [1, 3, 7, 9])    // centre offset (1,1)
        XCTAssertEqual(Array(columns[32..<36]), [5, 0, 0, 0])    // offset (2,2)
    }

    func cases() -> [(c: Int, h: Int, w: Int, g: ConvolutionGeometry)] {
        [
            (2, 5, 7, geometry(kernel: (3, 2), stride: (2, 1), pad: (1, 0), dilation: (1, 2))),
            (3, 6, 6, geometry(kernel: (3, 3), stride: (1, 1), pad: (1, 1))),
            (1, 4, 5, geometry(kernel: (3, 3), stride: (3, 3), pad: (2, 2))),     // pad ≥ stride, mostly padding
            (2, 7, 4, geometry(kernel: (2, 3), stride: (3, 2), pad: (0, 4))),     // pad larger than kernel
            (1, 9, 9, geometry(kernel: (3, 3), stride: (2, 2), pad: (2, 2), dilation: (2, 2))),
            (2, 3, 3, geometry(kernel: (1, 1))),
            (1, 1, 8, geometry(kernel: (1, 3), stride: (1, 3), pad: (0, 1))),
            (2, 11, 11, geometry(kernel: (3, 5), stride: (2, 1), pad: (1, 4), dilation: (1, 2))),
        ]
    }

    func testMatchesReference() {
        for (n, t) in cases().enumerated() {
            let random = RandomSource(seed: UInt64(n))
            let image = (0..<t.c * t.h * t.w).map { _ in random.uniform(-1, 1) }
            XCTAssertEqual(im2col(image, channels: t.c, height: t.h, width: t.w, t.g),
                           reference(image, channels: t.c, height: t.h, width: t.w, t.g), "case \(n)")
        }
    }

    /// ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ for random x, y: col2im is the exact adjoint.
    func testCol2imIsAdjointAndAccumulates() {
        for (n, t) in cases().enumerated() {
            let random = RandomSource(seed: UInt64(100 + n))
            let image = (0..<t.c * t.h * t.w).map { _ in random.uniform(-1, 1) }
            let columns = im2col(image, channels: t.c, height: t.h, width: t.w, t.g)
            let y = (0..<columns.count).map { _ in random.uniform(-1, 1) }
            var folded = [Float](repeating: 0, count: image.count)
            y.withUnsafeBufferPointer { src in
                folded.withUnsafeMutableBufferPointer { dst in
                    Im2col.col2im(src.baseAddress!, channels: t.c, height: t.h, width: t.w,
                                  geometry: t.g, image: dst.baseAddress!)
                }
            }
            let left = zip(columns, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(image, folded).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-4, "case \(n)")

            // col2im adds to what the image holds.
            var onTop = [Float](repeating: 1, count: image.count)
            y.withUnsafeBufferPointer { src in
                onTop.withUnsafeMutableBufferPointer { dst in
                    Im2col.col2im(src.baseAddress!, channels: t.c, height: t.h, width: t.w,
                                  geometry: t.g, image: dst.baseAddress!)
                }
            }
            for (a, b) in zip(onTop, folded) { XCTAssertEqual(a, b + 1, accuracy: 1e-5, "case \(n)") }
        }
    }

    func testCol2imHandCase() {
        // 2×2 kernel on 3×3, all-ones columns: each pixel receives how many windows cover it.
        var image = [Float](repeating: 0, count: 9)
        let ones = [Float](repeating: 1, count: 16)
        ones.withUnsafeBufferPointer { src in
            image.withUnsafeMutableBufferPointer { dst in
                Im2col.col2im(src.baseAddress!, channels: 1, height: 3, width: 3,
                              geometry: geometry(kernel: (2, 2)), image: dst.baseAddress!)
            }
        }
        XCTAssertEqual(image, [1, 2, 1, 2, 4, 2, 1, 2, 1])
    }

    func testLargeImageUsesBothCoresIdentically() {
        // Enough work per channel for Parallel.forEach to split channels across threads.
        let g = geometry(kernel: (3, 3), stride: (1, 1), pad: (1, 1))
        let (c, h, w) = (4, 40, 40)
        let random = RandomSource(seed: 5)
        let image = (0..<c * h * w).map { _ in random.uniform(-1, 1) }
        XCTAssertEqual(im2col(image, channels: c, height: h, width: w, g),
                       reference(image, channels: c, height: h, width: w, g))
    }
}
