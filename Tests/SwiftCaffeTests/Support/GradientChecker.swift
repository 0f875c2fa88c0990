import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Finite-difference check of a layer's backward pass, after Caffe's GradientChecker.
///
/// Objective: E = Σ_k r_k · top_k with fixed random weights r, so ∂E/∂top = r.
/// For every element x of every checked bottom and parameter blob, the analytic
/// gradient from `backward` is compared with (E(x+h) − E(x−h)) / 2h, within
/// `threshold · max(|analytic|, |numeric|, 1)`.
///
/// Kinks (ReLU at 0, ties in max pooling, |x| at 0): where the one-sided slopes
/// (E(x+h) − E(x))/h and (E(x) − E(x−h))/h disagree the function is not smooth
/// at x and the element is skipped. At most `maxSkippedFraction` of the elements
/// may be skipped, so a layer cannot pass by being non-smooth everywhere.
struct GradientChecker {
    var stepsize: Float = 1e-2
    var threshold: Float = 1e-3
    var maxSkippedFraction = 0.2
    var seed: UInt64 = 1701

    struct Mismatch: CustomStringConvertible {
        var blob: String
        var index: Int
        var analytic: Float
        var numeric: Float
        var description: String { "\(blob)[\(index)]: backward \(analytic), finite difference \(numeric)" }
    }

    /// Asserts that `layer`'s gradients w.r.t. the bottoms in `bottomsToCheck` (all by
    /// default) and its parameters match finite differences. The layer must be set up.
    func check(_ layer: Layer, bottom: [Blob], top: [Blob], bottomsToCheck: [Int]? = nil,
               checkParameters: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try mismatches(layer, bottom: bottom, top: top, bottomsToCheck: bottomsToCheck,
                                    checkParameters: checkParameters)
        XCTAssertGreaterThan(result.checked, 0, "nothing was checked", file: file, line: line)
        XCTAssertLessThanOrEqual(Double(result.skipped), maxSkippedFraction * Double(result.checked + result.skipped),
                                 "too many kinks skipped", file: file, line: line)
        for m in result.mismatches.prefix(10) { XCTFail("\(layer.type) '\(layer.name)': \(m)", file: file, line: line) }
    }

    func mismatches(_ layer: Layer, bottom: [Blob], top: [Blob], bottomsToCheck: [Int]? = nil,
                    checkParameters: Bool = true) throws -> (mismatches: [Mismatch], checked: Int, skipped: Int) {
        let randomState = layer.random.savedState
        try layer.reshape(bottom: bottom, top: top)
        let generator = RandomSource(seed: seed)
        let projection = top.map { t in (0..<t.count).map { _ in generator.uniform(-1, 1) } }
        func objective() throws -> Double {
            try layer.random.restore(randomState)  // the same dropout mask every time
            try layer.forward(bottom: bottom, top: top)
            var sum = 0.0
            for (t, weights) in zip(top, projection) {
                for i in 0..<t.count { sum += Double(t.data[i]) * Double(weights[i]) }
            }
            return sum
        }

        // Analytic gradients.
        _ = try objective()
        for (t, weights) in zip(top, projection) { t.setDiff(weights) }
        for b in bottom { b.fillDiff(0) }
        for p in layer.blobs { p.fillDiff(0) }
        let bottomIndices = bottomsToCheck ?? Array(bottom.indices)
        let propagate = bottom.indices.map { bottomIndices.contains($0) }
        try layer.backward(top: top, propagateDown: propagate, bottom: bottom)

        var targets: [(String, Blob)] = bottomIndices.map { ("bottom \($0)", bottom[$0]) }
        if checkParameters { targets += layer.blobs.enumerated().map { ("param \($0.offset)", $0.element) } }
        let analytic = targets.map { $0.1.diffArray }

        var found: [Mismatch] = []
        var checked = 0, skipped = 0
        let h = stepsize
        for (t, (name, blob)) in targets.enumerated() {
            for i in 0..<blob.count {
                let x = blob.data[i]
                let center = try objective()
                blob.data[i] = x + h
                let plus = try objective()
                blob.data[i] = x - h
                let minus = try objective()
                blob.data[i] = x
                let right = (plus - center) / Double(h), left = (center - minus) / Double(h)
                let numeric = Float((plus - minus) / (2 * Double(h)))
                let a = analytic[t][i]
                let scale = max(abs(a), abs(numeric), 1)
                if abs(right - left) > Double(threshold * scale) * 10 {
                    skipped += 1
                    continue
                }
                checked += 1
                if abs(a - numeric) > threshold * scale {
                    found.append(Mismatch(blob: name, index: i, analytic: a, numeric: numeric))
                }
            }
        }
        _ = try objective()
        return (found, checked, skipped)
    }
}
