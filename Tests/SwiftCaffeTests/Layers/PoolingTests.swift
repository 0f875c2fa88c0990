import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Pooling: MAX and AVE by hand (Caffe's rounding and divisors), global pooling,
/// per-axis forms, the mask top, gradients and errors.
final class PoolingTests: XCTestCase {
    //  1  5  2  8
    //  9  3 14  4
    //  7 16  6 10
    // 11 12 15 13
    let x: [Float] = [1, 5, 2, 8, 9, 3, 14, 4, 7, 16, 6, 10, 11, 12, 15, 13]

    func pool(_ text: String, _ values: [Float], shape: [Int], tops: Int = 1) throws -> (Layer, Blob, [Blob]) {
        let layer = try LayerTest.make(#"type: "Pooling" pooling_param { \#(text) }"#)
        let bottom = NeuronTest.blob(shape, values)
        let top = try LayerTest.setUp(layer, bottom: [bottom], tops: tops)
        try layer.forward(bottom: [bottom], top: top)
        return (layer, bottom, top)
    }

    func testMaxKernel3Stride2RoundsUp() throws {
        // ⌈(4 − 3)/2⌉ + 1 = 2 (floor would give 1). Windows: rows/cols 0–2 and 2–3.
        let (layer, bottom, top) = try pool("pool: MAX kernel_size: 3 stride: 2", x, shape: [1, 1, 4, 4], tops: 2)
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        XCTAssertEqual(top[0].dataArray, [16, 14, 16, 15])
        XCTAssertEqual(top[1].dataArray, [9, 6, 9, 14])  // argmax h·W + w, as Float
        top[0].setDiff([1, 2, 3, 4])
        bottom.fillDiff(7)
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        var expected = [Float](repeating: 0, count: 16)
        expected[9] = 1 + 3; expected[6] = 2; expected[14] = 4
        XCTAssertEqual(bottom.diffArray, expected)
    }

    func testAveNoPadDividesByTheClippedWindow() throws {
        let (layer, bottom, top) = try pool("pool: AVE kernel_size: 3 stride: 2", x, shape: [1, 1, 4, 4])
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        NeuronTest.assertClose(top[0].dataArray, [63 / 9, 44 / 6, 67 / 6, 44 / 4])
        top[0].setDiff([9, 6, 12, 8])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        // Shares 1, 1, 2, 2; cells in two windows get both.
        XCTAssertEqual(bottom.diffArray, [1, 1, 2, 1,
                                          1, 1, 2, 1,
                                          3, 3, 6, 3,
                                          2, 2, 4, 2])
    }

    func testAvePadCountsPaddedCells() throws {
        // pad 1: ⌈(4 + 2 − 3)/2⌉ + 1 = 3. Window starts −1, 1, 3; ends clipped at H + pad = 5,
        // so the divisors are 3 × 3, 3 × 2, 2 × 3 and 2 × 2 although fewer real cells are inside.
        let (layer, bottom, top) = try pool("pool: AVE kernel_size: 3 stride: 2 pad: 1", x, shape: [1, 1, 4, 4])
        XCTAssertEqual(top[0].shape, [1, 1, 3, 3])
        let sums: [Float] = [18, 36, 12, 58, 93, 27, 23, 40, 13]
        let divisors: [Float] = [9, 9, 6, 9, 9, 6, 6, 6, 4]
        NeuronTest.assertClose(top[0].dataArray, zip(sums, divisors).map { $0 / $1 })
        top[0].setDiff([Float](repeating: 36, count: 9))
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        // Cell (0,0) is only in window (0,0): 36/9. Cell (3,3) in windows (1,1), (1,2), (2,1), (2,2).
        XCTAssertEqual(bottom.diffArray[0], 4)
        XCTAssertEqual(bottom.diffArray[15], 4 + 6 + 6 + 9)
    }

    func testFloorRoundMode() throws {
        let (_, _, top) = try pool("pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR", x, shape: [1, 1, 4, 4])
        XCTAssertEqual(top[0].shape, [1, 1, 1, 1])
        XCTAssertEqual(top[0].dataArray, [16])
    }

    func testPerAxisKernelAndStride() throws {
        // 3 × 5, kernel 2 × 3, stride 1 × 2 → 2 × 2.
        let values: [Float] = (0..<15).map { Float(($0 * 7) % 15) }
        let (_, _, top) = try pool("pool: MAX kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2", values, shape: [1, 1, 3, 5])
        XCTAssertEqual(top[0].shape, [1, 1, 2, 2])
        func windowMax(_ oh: Int, _ ow: Int) -> Float {
            var best = -Float.infinity
            for h in oh..<oh + 2 { for w in 2 * ow..<2 * ow + 3 { best = max(best, values[h * 5 + w]) } }
            return best
        }
        XCTAssertEqual(top[0].dataArray, [windowMax(0, 0), windowMax(0, 1), windowMax(1, 0), windowMax(1, 1)])
    }

    func testGlobalPooling() throws {
        let values: [Float] = [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, 0]
        let (_, _, ave) = try pool("pool: AVE global_pooling: true", values, shape: [1, 2, 2, 3])
        XCTAssertEqual(ave[0].shape, [1, 2, 1, 1])
        XCTAssertEqual(ave[0].dataArray, [3.5, -2.5])
        let (_, _, maxTop) = try pool("pool: MAX global_pooling: true", values, shape: [1, 2, 2, 3])
        XCTAssertEqual(maxTop[0].dataArray, [6, 0])
    }

    /// Caffe's MAX scan, written plainly: row order, strict >, from −FLT_MAX.
    func caffeMax(_ x: [Float], h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int),
                  out: (Int, Int)) -> ([Float], [Float]) {
        var y: [Float] = [], mask: [Float] = []
        for oh in 0..<out.0 {
            for ow in 0..<out.1 {
                let h0 = oh * s.0 - p.0, w0 = ow * s.1 - p.1
                var best = -Float.greatestFiniteMagnitude, index = -1
                for hh in max(h0, 0)..<min(h0 + k.0, h) {
                    for ww in max(w0, 0)..<min(w0 + k.1, w) where x[hh * w + ww] > best {
                        best = x[hh * w + ww]; index = hh * w + ww
                    }
                }
                y.append(best); mask.append(Float(index))
            }
        }
        return (y, mask)
    }

    func testMaxWithTiesPicksCaffesCell() throws {
        // Few distinct values (many ties, as after a ReLU), odd geometries, narrow inputs.
        let random = RandomSource(seed: 8)
        for (h, w, kh, kw, sh, sw, ph, pw) in [(9, 11, 3, 3, 2, 2, 1, 1), (6, 3, 2, 3, 1, 2, 0, 1), (5, 2, 3, 2, 3, 1, 2, 1),
                                              (4, 13, 4, 1, 1, 3, 0, 0), (7, 7, 2, 2, 3, 3, 0, 0), (3, 17, 3, 5, 2, 4, 1, 2)] {
            var values = (0..<h * w).map { _ in Float(random.nextInt(below: 3)) - 1 }
            values[0] = -.infinity
            values[values.count - 1] = -.greatestFiniteMagnitude
            let text = "pool: MAX kernel_h: \(kh) kernel_w: \(kw) stride_h: \(sh) stride_w: \(sw) pad_h: \(ph) pad_w: \(pw)"
            let (layer, _, top) = try pool(text, values, shape: [1, 1, h, w], tops: 2)
            let out = (top[0].dim(2), top[0].dim(3))
            XCTAssertEqual(out.0, PoolingLayer.outputSize(input: h, kernel: kh, pad: ph, stride: sh, roundMode: .ceil))
            let (y, mask) = caffeMax(values, h: h, w: w, k: (kh, kw), s: (sh, sw), p: (ph, pw), out: out)
            XCTAssertEqual(top[0].dataArray, y, text)
            XCTAssertEqual(top[1].dataArray, mask, text)
            XCTAssertEqual(layer.type, "Pooling")
        }
        // A window holding only −∞: Caffe outputs −FLT_MAX and records no cell.
        let (_, _, top) = try pool("pool: MAX kernel_size: 1", [-.infinity, 2], shape: [1, 1, 1, 2], tops: 2)
        XCTAssertEqual(top[0].dataArray, [-.greatestFiniteMagnitude, 2])
        XCTAssertEqual(top[1].dataArray, [-1, 1])
    }

    /// 2 × 3 × 7 × 5 with values i·0.05 in shuffled order: no near-ties for MAX.
    func shuffledInput() -> Blob {
        let count = 2 * 3 * 7 * 5
        var order = Array(0..<count)
        let random = RandomSource(seed: 5)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
        return NeuronTest.blob([2, 3, 7, 5], order.map { Float($0) * 0.05 - 5 })
    }

    func testGradientMax() throws {
        for text in ["pool: MAX kernel_size: 3 stride: 2 pad: 1", "pool: MAX kernel_h: 2 kernel_w: 3 stride: 2",
                     "pool: MAX kernel_size: 3 stride: 1"] {
            let layer = try LayerTest.make(#"type: "Pooling" pooling_param { \#(text) }"#)
            let bottom = shuffledInput()
            let top = try LayerTest.setUp(layer, bottom: [bottom])
            try GradientChecker().check(layer, bottom: [bottom], top: top)
        }
    }

    func testGradientAve() throws {
        for text in ["pool: AVE kernel_size: 3 stride: 2 pad: 1", "pool: AVE kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 0 stride: 2",
                     "pool: AVE global_pooling: true"] {
            try NeuronTest.check(#"type: "Pooling" pooling_param { \#(text) }"#, shape: [2, 3, 7, 5])
        }
    }

    func testBigInputMatchesSmallRuns() throws {
        // Enough planes to be split over the cores: results must equal a plane-by-plane run.
        let text = #"type: "Pooling" pooling_param { pool: MAX kernel_size: 3 stride: 2 }"#
        let layer = try LayerTest.make(text)
        let bottom = LayerTest.blob([4, 16, 27, 27])
        let top = try LayerTest.setUp(layer, bottom: [bottom], tops: 2)
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].shape, [4, 16, 13, 13])
        let plane = 27 * 27, out = 13 * 13
        let xs = bottom.dataArray, ys = top[0].dataArray, masks = top[1].dataArray
        for p in stride(from: 0, to: 64, by: 9) {
            for i in 0..<out {
                XCTAssertEqual(xs[p * plane + Int(masks[p * out + i])], ys[p * out + i])
            }
        }
    }

    func testErrors() throws {
        func error(_ text: String) -> SwiftCaffeError? {
            NeuronTest.makeError(#"type: "Pooling" pooling_param { \#(text) }"#)
        }
        XCTAssertEqual(error("pool: STOCHASTIC kernel_size: 3")?.field, "pooling_param.pool")
        XCTAssertEqual(error("kernel_size: 3 pad: 3")?.field, "pooling_param.pad")
        XCTAssertEqual(error("kernel_size: 2 pad: 2")?.field, "pooling_param.pad")
        XCTAssertEqual(error("stride: 2")?.field, "pooling_param.kernel_size")
        XCTAssertEqual(error("kernel_size: 3 stride: 0")?.field, "pooling_param.stride")
        XCTAssertEqual(error("global_pooling: true kernel_size: 3")?.field, "pooling_param.kernel_size")
        XCTAssertEqual(error("kernel_h: 3 kernel_size: 3")?.field, "pooling_param.kernel_h")

        let maxLayer = try LayerTest.make(#"type: "Pooling" pooling_param { kernel_size: 2 }"#)
        XCTAssertEqual(maxLayer.bottomCountRange, 1...1)
        XCTAssertEqual(maxLayer.topCountRange, 1...2)
        let aveLayer = try LayerTest.make(#"type: "Pooling" pooling_param { pool: AVE kernel_size: 2 }"#)
        XCTAssertEqual(aveLayer.topCountRange, 1...1)
        let image = LayerTest.blob([1, 1, 4, 4])
        let inPlace = TestSupport.error { try maxLayer.reshape(bottom: [image], top: [image]) }
        XCTAssertTrue(inPlace?.message.contains("in place") ?? false)
        let flat = LayerTest.blob([2, 8])
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(maxLayer, bottom: [flat]) })
        let small = LayerTest.blob([1, 1, 2, 2])
        let big = try LayerTest.make(#"type: "Pooling" pooling_param { kernel_size: 3 }"#)
        XCTAssertNotNil(TestSupport.error { _ = try LayerTest.setUp(big, bottom: [small]) })
    }
}

/// The pooling layers of the Caffe fixture "pool", each run alone on Caffe's data. Both
/// read `data` through Caffe's split, so each bottom diff is one split blob's diff.
final class PoolingCaffeFixtureTests: XCTestCase {
    func testMax() throws {
        try LayerCaffeFixture("pool").compare(layer: "pool_max", bottom: "data", top: "pool_max",
                                              bottomDiff: "data_data_0_split_0")
    }

    func testAve() throws {
        try LayerCaffeFixture("pool").compare(layer: "pool_ave", bottom: "data", top: "pool_ave",
                                              bottomDiff: "data_data_0_split_1")
    }
}
