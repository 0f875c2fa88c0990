import CaffeProto

/// Element-wise PROD, SUM (with optional coefficients, default 1) or MAX of equally
/// shaped blobs, Caffe's "Eltwise".
///
/// bottoms: K ≥ 2 blobs of one shape; top: the same shape (may be bottom 0 for SUM and MAX).
/// Backward: SUM  bottom_k diff = coeff_k · top_diff;
///           PROD bottom_k diff = top_diff · Π_{j≠k} bottom_j (stable_prod_grad, default)
///                or top_diff · top / bottom_k;
///           MAX  top_diff goes to the bottom that held the maximum (on ties, as Caffe:
///                bottom 1 over bottom 0, otherwise the earlier bottom).
public final class EltwiseLayer: Layer {
    public let operation: Caffe_EltwiseParameter.EltwiseOp
    public let coefficients: [Float]
    public let stableProductGradient: Bool
    /// MAX: per element, the index of the winning bottom (stored as Float).
    private let argmax = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.eltwiseParam
        operation = p.operation
        coefficients = p.coeff
        stableProductGradient = p.stableProdGrad
        guard p.coeff.isEmpty || p.coeff.count == param.bottom.count else {
            throw SwiftCaffeError.invalid("eltwise_param.coeff",
                "\(p.coeff.count) coefficients for \(param.bottom.count) bottoms; give one per bottom or none")
        }
        guard p.coeff.isEmpty || p.operation == .sum else {
            throw SwiftCaffeError.invalid("eltwise_param.coeff", "coefficients only apply to the SUM operation")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...Int.max }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    private func coefficient(_ k: Int) -> Float { coefficients.isEmpty ? 1 : coefficients[k] }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard coefficients.isEmpty || coefficients.count == bottom.count else {
            throw SwiftCaffeError.invalid("eltwise_param.coeff",
                "\(coefficients.count) coefficients for \(bottom.count) bottoms; give one per bottom or none")
        }
        // In place (top = bottom 0) works for SUM and MAX; PROD's gradient needs bottom 0.
        let inPlace = bottom[0] === top[0]
        guard !bottom.dropFirst().contains(where: { $0 === top[0] }), !(inPlace && operation == .prod) else {
            throw shapeError("Eltwise \(operation == .prod ? "PROD " : "")cannot compute in place"
                             + (inPlace ? "" : " on a bottom other than the first"), hint: "give its top a new name")
        }
        for (i, blob) in bottom.enumerated() where blob.shape != bottom[0].shape {
            throw shapeError("bottom \(i) has shape \(blob.shapeString) but bottom 0 has "
                             + "\(bottom[0].shapeString); Eltwise needs equal shapes")
        }
        try top[0].reshape(like: bottom[0])
        try argmax.reshape(operation == .max ? bottom[0].shape : [0])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let n = top[0].count, y = top[0].data
        let x0 = bottom[0].data, x1 = bottom[1].data
        switch operation {
        case .prod:
            Parallel.forRanges(n) { s, e in for i in s..<e { y[i] = x0[i] * x1[i] } }
            for k in 2..<bottom.count {   // index loops: array iterators allocate in debug builds
                let x = bottom[k].data
                Parallel.forRanges(n) { s, e in for i in s..<e { y[i] *= x[i] } }
            }
        case .sum:
            let (c0, c1) = (coefficient(0), coefficient(1))
            Parallel.forRanges(n) { s, e in for i in s..<e { y[i] = c0 * x0[i] + c1 * x1[i] } }
            for k in 2..<bottom.count {
                let x = bottom[k].data, c = coefficient(k)
                Parallel.forRanges(n) { s, e in for i in s..<e { y[i] += c * x[i] } }
            }
        case .max:
            let index = argmax.data
            Parallel.forRanges(n) { s, e in
                for i in s..<e {
                    if x0[i] > x1[i] { y[i] = x0[i]; index[i] = 0 } else { y[i] = x1[i]; index[i] = 1 }
                }
            }
            for k in 2..<bottom.count {
                let x = bottom[k].data, label = Float(k)
                Parallel.forRanges(n) { s, e in
                    for i in s..<e where x[i] > y[i] { y[i] = x[i]; index[i] = label }
                }
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let n = top[0].count, y = top[0].data, dy = top[0].diff
        // Bottom 0 last: in place its diff is the top diff the others still read.
        var k = bottom.count
        while k > 0 {   // a plain loop: generic iterators allocate in debug builds
            k -= 1
            guard propagateDown[k] else { continue }
            let b = bottom[k], dx = b.diff
            switch operation {
            case .prod:
                if stableProductGradient {
                    // dx = Π_{j≠k} x_j, then · dy.
                    var started = false
                    for j in 0..<bottom.count where j != k {
                        let x = bottom[j].data
                        if started {
                            Parallel.forRanges(n) { s, e in for i in s..<e { dx[i] *= x[i] } }
                        } else {
                            Parallel.forRanges(n) { s, e in (dx + s).update(from: x + s, count: e - s) }
                            started = true
                        }
                    }
                    Parallel.forRanges(n) { s, e in for i in s..<e { dx[i] *= dy[i] } }
                } else {
                    let x = b.data
                    Parallel.forRanges(n) { s, e in for i in s..<e { dx[i] = y[i] / x[i] * dy[i] } }
                }
            case .sum:
                let c = coefficient(k)
                Parallel.forRanges(n) { s, e in for i in s..<e { dx[i] = c * dy[i] } }
            case .max:
                let index = argmax.data, label = Float(k)
                Parallel.forRanges(n) { s, e in for i in s..<e { dx[i] = index[i] == label ? dy[i] : 0 } }
            }
        }
    }
}
