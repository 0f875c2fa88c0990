#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "LSTMUnit": one time step of an LSTM's cell, the element-wise part of
/// `LSTM` (which runs the same kernels, `forwardStep` and `backwardStep`).
///
/// bottoms: c_prev 1 × N × H, gate inputs 1 × N × 4H (i′, f′, o′, g′ blocks of H
/// each, in that order), cont 1 × N (0 starts a new sequence);
/// tops: c 1 × N × H, h 1 × N × H. No parameters.
///
///     i = σ(i′)   f = cont · σ(f′) (0 when cont is 0)   o = σ(o′)   g = tanh(g′)
///     c = f · c_prev + i · g        h = o · tanh(c)
///
/// σ and tanh as Caffe's lstm_unit_layer.cpp writes them: 1 / (1 + e^−x) and
/// 2σ(2x) − 1, here in double precision. Backward follows Caffe's formulas (for f it
/// uses f·(1 − f), the derivative for a cont of 0 or 1); cont gets no gradient.
public final class LSTMUnitLayer: Layer {
    /// H, the number of cells, at the last reshape.
    public private(set) var cells = 0
    /// N, the number of independent streams, at the last reshape.
    public private(set) var streams = 0

    public override var bottomCountRange: ClosedRange<Int> { 3...3 }
    public override var topCountRange: ClosedRange<Int> { 2...2 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 2 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let cPrev = bottom[0], gates = bottom[1], cont = bottom[2]
        guard cPrev.numAxes == 3, cPrev.dim(0) == 1 else {
            throw shapeError("bottom 0 (the previous cell state) must be 1 × N × H, got \(cPrev.shapeString)")
        }
        let (n, h) = (cPrev.dim(1), cPrev.dim(2))
        guard gates.shape == [1, n, 4 * h] else {
            throw shapeError("bottom 1 (the gate inputs) must be 1 × \(n) × \(4 * h) (4 × the \(h) cells of bottom 0), "
                             + "got \(gates.shapeString)")
        }
        guard cont.shape == [1, n] else {
            throw shapeError("bottom 2 (the sequence continuation flags) must be 1 × \(n), got \(cont.shapeString)")
        }
        for t in top where bottom.contains(where: { $0 === t }) {
            throw shapeError("LSTMUnit cannot compute in place", hint: "give its tops names of their own")
        }
        (streams, cells) = (n, h)
        try top[0].reshape(like: cPrev)
        try top[1].reshape(like: cPrev)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        Self.forwardStep(streams: streams, cells: cells, cPrev: bottom[0].data, gates: bottom[1].data,
                         cont: bottom[2].data, c: top[0].data, h: top[1].data)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[2] {
            throw shapeError("LSTMUnit cannot backpropagate to its sequence continuation input (bottom 2)",
                             hint: "set 'propagate_down: false' on that bottom")
        }
        guard propagateDown[0] || propagateDown[1] else { return }
        Self.backwardStep(streams: streams, cells: cells, cPrev: bottom[0].data, gates: bottom[1].data,
                          cont: bottom[2].data, c: top[0].data, cDiff: top[0].diff, hDiff: top[1].diff,
                          cPrevDiff: propagateDown[0] ? bottom[0].diff : nil,
                          gatesDiff: propagateDown[1] ? bottom[1].diff : nil)
    }

    // MARK: Kernels (also LSTM's)

    /// Caffe's LSTMUnit sigmoid, 1 / (1 + e^−x), in double.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { Float(1 / (1 + exp(-Double(x)))) }

    /// Caffe's LSTMUnit tanh, 2σ(2x) − 1, in double.
    @inline(__always)
    static func tanhOfSigmoid(_ x: Float) -> Float { Float(2 / (1 + exp(-2 * Double(x))) - 1) }

    /// One step for `streams` × `cells`: gates is N × 4H, cont N, the others N × H.
    static func forwardStep(streams: Int, cells: Int, cPrev: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                            cont: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        let hc = cells
        Parallel.forEach(streams, workPerItem: hc * 64) { n in
            let x = gates + n * 4 * hc, previous = cPrev + n * hc, cn = c + n * hc, hn = h + n * hc
            let flag = cont[n]
            for d in 0..<hc {
                let i = sigmoid(x[d])
                let f = flag == 0 ? 0 : flag * sigmoid(x[hc + d])
                let o = sigmoid(x[2 * hc + d])
                let g = tanhOfSigmoid(x[3 * hc + d])
                let cell = f * previous[d] + i * g
                cn[d] = cell
                hn[d] = o * tanhOfSigmoid(cell)
            }
        }
    }

    /// The step's gradients from those of c and h (N × H each): c_prev's (N × H) and the
    /// gate inputs' (N × 4H), each only when its pointer is given. `cPrevDiff` may be
    /// `cDiff` itself (each element is read before it is written).
    static func backwardStep(streams: Int, cells: Int, cPrev: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                             cont: UnsafePointer<Float>, c: UnsafePointer<Float>, cDiff: UnsafePointer<Float>,
                             hDiff: UnsafePointer<Float>, cPrevDiff: UnsafeMutablePointer<Float>?,
                             gatesDiff: UnsafeMutablePointer<Float>?) {
        let hc = cells
        Parallel.forEach(streams, workPerItem: hc * 64) { n in
            let x = gates + n * 4 * hc, previous = cPrev + n * hc, cn = c + n * hc
            let dc = cDiff + n * hc, dh = hDiff + n * hc
            let flag = cont[n], dx = gatesDiff.map { $0 + n * 4 * hc }
            for d in 0..<hc {
                let i = sigmoid(x[d])
                let f = flag == 0 ? 0 : flag * sigmoid(x[hc + d])
                let o = sigmoid(x[2 * hc + d])
                let g = tanhOfSigmoid(x[3 * hc + d])
                let tanhC = tanhOfSigmoid(cn[d])
                let cTerm = dc[d] + dh[d] * o * (1 - tanhC * tanhC)
                if let dx {
                    dx[d] = cTerm * g * i * (1 - i)
                    dx[hc + d] = cTerm * previous[d] * f * (1 - f)
                    dx[2 * hc + d] = dh[d] * tanhC * o * (1 - o)
                    dx[3 * hc + d] = cTerm * i * (1 - g * g)
                }
                if let cPrevDiff { cPrevDiff[n * hc + d] = cTerm * f }
            }
        }
    }
}
