import CaffeProto
import MallocCounter
import XCTest
@testable import SwiftCaffe

/// The fused update pass (`apply`) against the whole-blob BLAS sequence it replaced
/// (`applyInSeparatePasses`, Caffe's order of operations), bit for bit: every method,
/// L1 and L2 decay, lr_mult/decay_mult, clipping and iter_size, on random data of sizes
/// that cross the block size and the worker-pool split.
final class UpdateRuleFusedTests: XCTestCase {
    /// 3: below one SIMD width; 4097 and 70_001: a partial last block; 300_007: split over
    /// the worker pool (more than 2 × Parallel.minimumPerThread) with uneven chunks.
    let sizes = [3, 4097, 70_001, 300_007]

    func parameters(_ random: RandomSource) throws -> [Blob] {
        try sizes.map { n in
            let b = try Blob(shape: [n])
            try b.allocate()
            // Weights of either sign, some exactly 0 (L1's sign(0) = 0); gradients with a
            // spread of magnitudes so that rounding differences would show.
            b.setData((0..<n).map { k in k % 97 == 0 ? 0 : random.uniform(-1, 1) })
            b.setDiff((0..<n).map { _ in random.uniform(-1, 1) * Float(1 << random.nextInt(below: 8)) / 64 })
            return b
        }
    }

    func copies(_ blobs: [Blob]) throws -> [Blob] {
        try blobs.map { b in
            let c = try Blob(shape: b.shape)
            try c.allocate()
            c.setData(b.dataArray)
            c.setDiff(b.diffArray)
            return c
        }
    }

    func rule(_ text: String, _ params: [Blob]) throws -> UpdateRule {
        let p = try Prototxt.decode(Caffe_SolverParameter.self, text: text, file: "solver.prototxt").message
        // Biases' multipliers as in the reference nets (lr 2, decay 0) on every other blob.
        return try UpdateRule(p, params: params, lrMultipliers: params.indices.map { $0 % 2 == 0 ? 1 : 2 },
                              decayMultipliers: params.indices.map { $0 % 2 == 0 ? 1 : 0 })
    }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// Three updates with fresh gradients each time, then every weight, diff and history
    /// value compared by bit pattern.
    func checkIdentical(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let random = RandomSource(seed: 1701)
        let fusedParams = try parameters(random), separateParams = try copies(fusedParams)
        let fused = try rule(text, fusedParams), separate = try rule(text, separateParams)
        for iter in 0..<3 {
            if iter > 0 {
                for i in fusedParams.indices {
                    let g = (0..<fusedParams[i].count).map { _ in random.uniform(-1, 1) / 8 }
                    fusedParams[i].setDiff(g)
                    separateParams[i].setDiff(g)
                }
            }
            let noteFused = fused.apply(rate: 0.01, iter: iter)
            let noteSeparate = separate.applyInSeparatePasses(rate: 0.01, iter: iter)
            XCTAssertEqual(noteFused, noteSeparate, text, file: file, line: line)
        }
        for i in fusedParams.indices {
            let n = fusedParams[i].count
            XCTAssertEqual(bits(fusedParams[i].dataArray), bits(separateParams[i].dataArray),
                           "\(text): weights of blob \(i) (\(n) values)", file: file, line: line)
            XCTAssertEqual(bits(fusedParams[i].diffArray), bits(separateParams[i].diffArray),
                           "\(text): diff of blob \(i)", file: file, line: line)
        }
        for j in fused.history.indices {
            XCTAssertEqual(bits(fused.history[j].dataArray), bits(separate.history[j].dataArray),
                           "\(text): history \(j)", file: file, line: line)
        }
        // The update really moved the weights (a test that compared two no-ops would pass).
        XCTAssertNotEqual(bits(fusedParams[3].dataArray), bits(try parameters(RandomSource(seed: 1701))[3].dataArray),
                          text, file: file, line: line)
    }

    func testSGDWithL2DecayAsCaffeNetTrains() throws {
        try checkIdentical("type: \"SGD\" momentum: 0.9 weight_decay: 0.0005")
    }

    func testSGDWithL1DecayIterSizeAndClipping() throws {
        try checkIdentical("type: \"SGD\" momentum: 0.9 weight_decay: 0.001 regularization_type: \"L1\" iter_size: 3")
        // A clip threshold below the gradients' norm: every diff is scaled down first.
        try checkIdentical("type: \"SGD\" momentum: 0.9 weight_decay: 0.0005 clip_gradients: 2 iter_size: 2")
    }

    func testNesterov() throws {
        try checkIdentical("type: \"Nesterov\" momentum: 0.95 weight_decay: 0.0005")
    }

    func testAdaGradAndRMSProp() throws {
        try checkIdentical("type: \"AdaGrad\" weight_decay: 0.0005 delta: 1e-6")
        try checkIdentical("type: \"RMSProp\" rms_decay: 0.9 weight_decay: 0.0005 regularization_type: \"L1\"")
    }

    func testAdaDeltaAndAdam() throws {
        try checkIdentical("type: \"AdaDelta\" momentum: 0.95 delta: 1e-6 weight_decay: 0.0005")
        try checkIdentical("type: \"Adam\" momentum: 0.9 momentum2: 0.999 delta: 1e-8 weight_decay: 0.0005 iter_size: 2")
    }

    /// The L2 decay goes through OpenBLAS's saxpy in both paths, so it rounds as OpenBLAS
    /// does on this CPU (one fused multiply-add per element on its AVX2 and AVX-512
    /// kernels, where a hand-written `g + decay · w` would round twice and differ in
    /// about 1% of elements). Checked here against saxpy itself, element by element.
    func testL2DecayRoundsAsOpenBLASsAxpy() throws {
        let random = RandomSource(seed: 11), n = 20_000
        let w = try Blob(shape: [n])
        try w.allocate()
        let weights = (0..<n).map { _ in random.uniform(-1, 1) }
        let gradients = (0..<n).map { _ in random.uniform(-1, 1) / 1000 }
        w.setData(weights)
        w.setDiff(gradients)
        let p = try Prototxt.decode(Caffe_SolverParameter.self, text: "weight_decay: 0.0005", file: "s.prototxt").message
        let r = try UpdateRule(p, params: [w], lrMultipliers: [1], decayMultipliers: [1])
        var expected = gradients
        BLAS.axpy(n, alpha: 0.0005, x: weights, y: &expected)
        r.apply(rate: 1, iter: 0)   // momentum 0: update = rate · g' = g'
        XCTAssertEqual(bits(w.diffArray), bits(expected))
        XCTAssertEqual(bits(w.dataArray), bits(zip(weights, expected).map { $0 - $1 }))
        let twiceRounded = zip(weights, gradients).filter { w, g in
            let product = 0.0005 * w
            return (g + product).bitPattern != (g.addingProduct(0.0005, w)).bitPattern
        }.count
        print("L2 decay: \(twiceRounded) of \(n) elements differ between one and two roundings")
    }

    /// After warm-up the update allocates nothing of its own. The one exception is the
    /// worker pool's bound (ParallelTests): a parallel loop costs the Swift runtime one
    /// small closure context per call. The fused pass makes one parallel call per blob
    /// large enough to split (70,001 and 300,007 values here), never more than the
    /// separate passes it replaced; zeroing the diffs allocates nothing.
    func testUpdateAllocatesAtMostOneContextPerSplitBlob() throws {
        let split = sizes.filter { $0 >= 2 * Parallel.minimumPerThread }.count
        for text in ["momentum: 0.9 weight_decay: 0.0005 clip_gradients: 100 iter_size: 2",
                     "type: \"Adam\" momentum: 0.9 weight_decay: 0.0005 regularization_type: \"L1\""] {
            let fusedParams = try parameters(RandomSource(seed: 3)), separateParams = try copies(fusedParams)
            let fused = try rule(text, fusedParams), separate = try rule(text, separateParams)
            for iter in 0..<2 {
                fused.apply(rate: 0.01, iter: iter)
                separate.applyInSeparatePasses(rate: 0.01, iter: iter)
            }
            try AllocationCounter.start()
            for iter in 2..<5 { fused.apply(rate: 0.01, iter: iter) }
            let fusedAllocations = AllocationCounter.stop()
            try AllocationCounter.start()
            for iter in 2..<5 { separate.applyInSeparatePasses(rate: 0.01, iter: iter) }
            let separateAllocations = AllocationCounter.stop()
            XCTAssertLessThanOrEqual(fusedAllocations, 3 * split, "apply: \(text)")
            XCTAssertLessThanOrEqual(fusedAllocations, separateAllocations, text)
            try AllocationCounter.start()
            fused.zeroDiffs()
            XCTAssertEqual(AllocationCounter.stop(), 0, "zeroDiffs: \(text)")
            XCTAssertTrue(fusedParams.allSatisfy { $0.diffArray.allSatisfy { $0 == 0 } })
        }
    }
}
