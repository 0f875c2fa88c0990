#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto

/// Caffe's "RNN": a simple (Elman) recurrent net over T time steps of N streams
/// (bottoms, tops and state as `RecurrentLayer` describes; H = num_output).
///
/// Each step, as Caffe's unrolled net computes it:
///
///     h_t = tanh(W_hh · (cont_t · h_{t−1}) + (W_xh · x_t + b_h) [+ W_xh_static · x_static])
///     o_t = tanh(W_ho · h_t + b_o)
///
/// top 0 is o (T × N × H); with expose_hidden the bottoms add h_0 and the tops h_T
/// (1 × N × H). Parameters in Caffe's order: W_xh (H × D), b_h (H),
/// [W_xh_static (H × S)], W_hh (H × H), W_ho (H × H), b_o (H). tanh in double
/// precision, as Caffe's TanH layer. Backward is backpropagation through time over
/// the T steps of the batch.
public final class RNNLayer: RecurrentLayer {
    /// h_t of every step (T × N × H); its gradient, then that of the pre-activation.
    private let hidden = Blob(0), hiddenDiff = Blob(0)
    /// o of every step (T × N × H), copied to the top: backward needs o and a layer
    /// after this one may work on the top in place (Dropout).
    private let output = Blob(0)
    /// The gradient of o's pre-activation W_ho · h_t + b_o (T × N × H).
    private let outputDiff = Blob(0)
    /// cont_t · h_{t−1} of every step (T × N × H), the input of W_hh.
    private let conted = Blob(0)
    /// The gradient of h_{t−1} through W_hh (N × H).
    private let previousHiddenDiff = Blob(0)

    private var outputWeightIndex: Int { recurrentWeightIndex + 1 }
    override var biasParameters: Set<Int> { [1, recurrentWeightIndex + 2] }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try super.layerSetUp(bottom: bottom, top: top)
        blobs.append(try Blob(shape: [numOutput, numOutput]))
        blobs.append(try Blob(shape: [numOutput]))
    }

    override func reshapeScratch() throws {
        let steps = [timesteps, streams, numOutput]
        for b in [hidden, hiddenDiff, output, outputDiff, conted] { try b.reshape(steps) }
        try previousHiddenDiff.reshape([streams, numOutput])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let step = streams * numOutput, rows = timesteps * streams, hc = numOutput
        let h = hidden.data, cont = UnsafePointer(bottom[1].data)
        inputTransform(bottom: bottom, gates: h)
        let h0 = beginState(0, bottom: bottom)
        for t in 0..<timesteps {
            let hT = h + t * step
            recurrentTransform(step: t, previous: t == 0 ? h0 : UnsafePointer(h + (t - 1) * step),
                               cont: cont, conted: conted.data + t * step, gates: hT)
            for i in 0..<step { hT[i] = Float(tanh(Double(hT[i]))) }
        }
        endState(0, h + (timesteps - 1) * step, top: top)
        // o = tanh(h · W_hoᵀ + b_o) for all steps at once.
        let o = output.data, bias = UnsafePointer(blobs[outputWeightIndex + 1].data)
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: hc, k: hc, alpha: 1,
                  a: h, b: blobs[outputWeightIndex].data, beta: 0, c: o)
        Parallel.forEach(rows, workPerItem: hc * 16) { r in
            let row = o + r * hc
            for j in 0..<hc { row[j] = Float(tanh(Double(row[j] + bias[j]))) }
        }
        top[0].data.update(from: o, count: rows * hc)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try rejectContinuationGradient(propagateDown)
        let step = streams * numOutput, rows = timesteps * streams, hc = numOutput
        let o = UnsafePointer(output.data), dTop = UnsafePointer(top[0].diff), h = UnsafePointer(hidden.data)
        let dh = hiddenDiff.data, cont = UnsafePointer(bottom[1].data), carried = previousHiddenDiff.data
        // Through o's tanh.
        let dPre = outputDiff.data
        for i in 0..<(rows * hc) { dPre[i] = dTop[i] * (1 - o[i] * o[i]) }
        let w = outputWeightIndex
        if paramPropagateDown[w] {
            BLAS.gemm(transposeA: true, transposeB: false, m: hc, n: hc, k: rows, alpha: 1,
                      a: dPre, b: h, beta: 1, c: blobs[w].diff)
        }
        if paramPropagateDown[w + 1] {
            BLAS.gemv(transposeA: true, m: rows, n: hc, alpha: 1, a: dPre, x: ones.data, beta: 1, y: blobs[w + 1].diff)
        }
        // dh = dPre · W_ho for all steps, then back through time.
        BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: hc, k: hc, alpha: 1,
                  a: dPre, b: blobs[w].data, beta: 0, c: dh)
        if let d = endStateDiff(0, top: top) { carried.update(from: d, count: step) } else { previousHiddenDiff.fillData(0) }
        for t in stride(from: timesteps - 1, through: 0, by: -1) {
            let dhT = dh + t * step, hT = h + t * step
            for i in 0..<step { dhT[i] = (dhT[i] + carried[i]) * (1 - hT[i] * hT[i]) }
            recurrentGradient(step: t, gatesDiff: dhT, cont: cont, into: carried)
        }
        beginStateDiff(0, carried, propagateDown: propagateDown, bottom: bottom)
        inputGradients(gatesDiff: dh, conted: conted.data, propagateDown: propagateDown, bottom: bottom)
    }
}
