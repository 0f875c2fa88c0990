import CaffeProto

/// What `RNN` and `LSTM` share, after Caffe's RecurrentLayer: the bottoms, tops and
/// shapes, the parameters' layout, and the hidden state carried from one forward to
/// the next.
///
/// bottoms: x T × N × … (T time steps of N independent streams; the trailing axes,
/// D values, are flattened), cont T × N (0 where a sequence starts: the state from
/// the step before is dropped), optionally a static input N × … (S values, the same
/// for every time step), and with `expose_hidden` the initial state (1 × N × H each:
/// h_0 for RNN; h_0, c_0 for LSTM). tops: the outputs T × N × H, and with
/// `expose_hidden` the final state (h_T; h_T, c_T).
///
/// Caffe unrolls the layer into a net of InnerProduct, Scale, Eltwise, TanH and
/// LSTMUnit layers; here the subclasses compute the same directly: one GEMM for
/// the input transform of all time steps, one per step for the recurrent transform.
/// Without `expose_hidden` the state at the end of a forward is where the next
/// forward starts (as in Caffe; 0 at first and after N changes).
///
/// Parameters, in Caffe's order (the unrolled net's first owners): W_x (G·H × D),
/// b (G·H), [W_static (G·H × S)], W_h (G·H × H), then the subclass's own; G is 4 for
/// LSTM (gates i, f, o, g), 1 for RNN.
public class RecurrentLayer: Layer {
    public let numOutput: Int
    public let exposeHidden: Bool
    public private(set) var hasStaticInput = false
    /// T, N, D and S at the last reshape.
    public private(set) var timesteps = 0, streams = 0, inputSize = 0, staticInputSize = 0

    let weightFiller: Filler
    let biasFiller: Filler
    /// State blobs carried across steps: 1 (h) for RNN, 2 (h, c) for LSTM.
    class var stateCount: Int { 1 }
    /// Gate blocks per cell (G): rows of W_x and W_h are G · H.
    class var gatesPerCell: Int { 1 }

    /// Without expose_hidden: the state the next forward starts from, and the one this
    /// forward started from (kept for backward). 1 × N × H each.
    private var carriedState: [Blob] = []
    private var initialState: [Blob] = []
    /// T·N ones, for the bias gradient.
    let ones = Blob(0)
    /// The static input's part of the gate inputs (N × G·H), and its gradient.
    let staticGates = Blob(0), staticGatesDiff = Blob(0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.recurrentParam
        guard p.numOutput > 0 else {
            throw SwiftCaffeError.invalid("recurrent_param.num_output", "num_output must be positive (got \(p.numOutput))",
                                          hint: "set num_output to the size of the hidden state, e.g. 'num_output: 256'")
        }
        numOutput = Int(p.numOutput)
        exposeHidden = p.exposeHidden
        // Absent fillers are Caffe's default FillerParameter: constant 0.
        weightFiller = try Filler(p.weightFiller, field: "recurrent_param.weight_filler")
        biasFiller = try Filler(p.biasFiller, field: "recurrent_param.bias_filler")
        try super.init(param: param)
    }

    private var exposedCount: Int { exposeHidden ? Self.stateCount : 0 }
    public override var bottomCountRange: ClosedRange<Int> { (2 + exposedCount)...(3 + exposedCount) }
    public override var topCountRange: ClosedRange<Int> { (1 + exposedCount)...(1 + exposedCount) }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    /// Index of the first exposed initial-state bottom.
    var stateBottomIndex: Int { hasStaticInput ? 3 : 2 }
    /// Index of W_h (after W_x, b and the static input's W_static).
    var recurrentWeightIndex: Int { hasStaticInput ? 3 : 2 }
    /// Rows of W_x and W_h (G · H).
    var gateRows: Int { Self.gatesPerCell * numOutput }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        hasStaticInput = bottom.count > 2 + exposedCount
        guard bottom[0].numAxes >= 2 else {
            throw shapeError("bottom 0 must have at least 2 axes (time steps × streams × …), got \(bottom[0].shapeString)")
        }
        inputSize = bottom[0].count(from: 2)
        let rows = gateRows
        blobs = [try Blob(shape: [rows, inputSize]), try Blob(shape: [rows])]
        if hasStaticInput {
            guard bottom[2].numAxes >= 1 else { throw shapeError("the static input (bottom 2) must be N × …, got a scalar") }
            staticInputSize = bottom[2].count(from: 1)
            blobs.append(try Blob(shape: [rows, staticInputSize]))
        }
        blobs.append(try Blob(shape: [rows, numOutput]))
        carriedState = (0..<Self.stateCount).map { _ in Blob(0) }
        initialState = (0..<Self.stateCount).map { _ in Blob(0) }
    }

    /// Which of `blobs` are biases (the bias filler), the others weights.
    var biasParameters: Set<Int> { [1] }

    public override func fillParameters() throws {
        for k in blobs.indices {
            try (biasParameters.contains(k) ? biasFiller : weightFiller).fill(blobs[k], random: random)
        }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0], cont = bottom[1]
        guard x.numAxes >= 2, x.dim(0) > 0, x.dim(1) > 0 else {
            throw shapeError("bottom 0 must be time steps × streams × … with at least one of each, got \(x.shapeString)")
        }
        let (t, n) = (x.dim(0), x.dim(1))
        guard x.count(from: 2) == inputSize else {
            throw shapeError("bottom 0 has \(x.count(from: 2)) values per time step and stream (shape \(x.shapeString)) "
                             + "but the weights expect \(inputSize)")
        }
        guard cont.shape == [t, n] else {
            throw shapeError("bottom 1 (the sequence continuation flags) must be \(t) × \(n) (time steps × streams "
                             + "of bottom 0), got \(cont.shapeString)")
        }
        if hasStaticInput {
            let s = bottom[2]
            guard s.numAxes >= 1, s.dim(0) == n, s.count(from: 1) == staticInputSize else {
                throw shapeError("the static input (bottom 2) must be \(n) × … with \(staticInputSize) values per stream, "
                                 + "got \(s.shapeString)")
            }
        }
        let stateShape = [1, n, numOutput]
        if exposeHidden {
            for k in 0..<Self.stateCount where bottom[stateBottomIndex + k].shape != stateShape {
                throw shapeError("bottom \(stateBottomIndex + k) (an initial hidden state) must be "
                                 + "\(Blob.describe(stateShape)), got \(bottom[stateBottomIndex + k].shapeString)")
            }
        }
        for t in top where bottom.contains(where: { $0 === t }) {
            throw shapeError("\(type) cannot compute in place", hint: "give its tops names of their own")
        }
        if n != streams {
            for k in 0..<Self.stateCount {
                try carriedState[k].reshape(stateShape)
                carriedState[k].fillData(0)
                try initialState[k].reshape(stateShape)
            }
        }
        (timesteps, streams) = (t, n)
        try top[0].reshape([t, n, numOutput])
        for k in 0..<exposedCount { try top[1 + k].reshape(stateShape) }
        try ones.reshape([t * n])
        ones.fillData(1)
        if hasStaticInput {
            try staticGates.reshape([n, gateRows])
            try staticGatesDiff.reshape([n, gateRows])
        }
        try reshapeScratch()
    }

    /// Sizes the subclass's buffers for `timesteps`, `streams`.
    func reshapeScratch() throws {}

    // MARK: The state

    /// The state this forward starts from (state k, N × H): the exposed bottom, or
    /// the state the last forward ended with.
    func beginState(_ k: Int, bottom: [Blob]) -> UnsafePointer<Float> {
        if exposeHidden { return UnsafePointer(bottom[stateBottomIndex + k].data) }
        initialState[k].data.update(from: carriedState[k].data, count: initialState[k].count)
        return UnsafePointer(initialState[k].data)
    }

    /// The state this forward started from, for backward.
    func startedState(_ k: Int, bottom: [Blob]) -> UnsafePointer<Float> {
        UnsafePointer(exposeHidden ? bottom[stateBottomIndex + k].data : initialState[k].data)
    }

    /// Stores the final state k: to its exposed top, or for the next forward.
    func endState(_ k: Int, _ values: UnsafePointer<Float>, top: [Blob]) {
        let target = exposeHidden ? top[1 + k] : carriedState[k]
        target.data.update(from: values, count: target.count)
    }

    /// The gradient arriving at the final state k (the exposed top's diff), or nil.
    func endStateDiff(_ k: Int, top: [Blob]) -> UnsafePointer<Float>? {
        exposeHidden ? UnsafePointer(top[1 + k].diff) : nil
    }

    /// Gives the gradient of the initial state k to its exposed bottom, if asked for.
    func beginStateDiff(_ k: Int, _ values: UnsafePointer<Float>, propagateDown: [Bool], bottom: [Blob]) {
        let index = stateBottomIndex + k
        guard exposeHidden, propagateDown[index] else { return }
        bottom[index].diff.update(from: values, count: bottom[index].count)
    }

    // MARK: Shared pieces of forward and backward

    /// gates[T·N × G·H] = x · W_xᵀ + b, and the static input's W_static · x_static
    /// (N × G·H) into `staticGates` when there is one.
    func inputTransform(bottom: [Blob], gates: UnsafeMutablePointer<Float>) {
        let rows = timesteps * streams, g = gateRows
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: g, k: inputSize, alpha: 1,
                  a: bottom[0].data, b: blobs[0].data, beta: 0, c: gates)
        let bias = UnsafePointer(blobs[1].data)
        Parallel.forEach(rows, workPerItem: g) { r in
            let row = gates + r * g
            for j in 0..<g { row[j] += bias[j] }
        }
        if hasStaticInput {
            BLAS.gemm(transposeA: false, transposeB: true, m: streams, n: g, k: staticInputSize, alpha: 1,
                      a: bottom[2].data, b: blobs[2].data, beta: 0, c: staticGates.data)
        }
    }

    /// gates_t (N × G·H) += W_h · (cont_t · h_{t−1}) (+ the static part), Caffe's
    /// Scale, InnerProduct and Eltwise SUM in that order; `conted` gets cont_t · h_{t−1}.
    func recurrentTransform(step t: Int, previous: UnsafePointer<Float>, cont: UnsafePointer<Float>,
                            conted: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>) {
        let (n, h, g) = (streams, numOutput, gateRows)
        Self.scaleRows(previous, by: cont + t * n, rows: n, columns: h, into: conted)
        BLAS.gemm(transposeA: false, transposeB: true, m: n, n: g, k: h, alpha: 1,
                  a: conted, b: blobs[recurrentWeightIndex].data, beta: 1, c: gates)
        if hasStaticInput {
            let s = UnsafePointer(staticGates.data)
            for i in 0..<(n * g) { gates[i] += s[i] }
        }
    }

    /// The gradient of h_{t−1} from that of gates_t: cont_t · (gates diff · W_h).
    func recurrentGradient(step t: Int, gatesDiff: UnsafePointer<Float>, cont: UnsafePointer<Float>,
                           into previousDiff: UnsafeMutablePointer<Float>) {
        let (n, h, g) = (streams, numOutput, gateRows)
        BLAS.gemm(transposeA: false, transposeB: false, m: n, n: h, k: g, alpha: 1,
                  a: gatesDiff, b: blobs[recurrentWeightIndex].data, beta: 0, c: previousDiff)
        Self.scaleRows(previousDiff, by: cont + t * n, rows: n, columns: h, into: previousDiff)
    }

    /// The gradients of W_x, b, W_h, the static input and x from those of the gate
    /// inputs of every step (T·N × G·H); `conted` holds cont_t · h_{t−1} of every step.
    func inputGradients(gatesDiff: UnsafePointer<Float>, conted: UnsafePointer<Float>,
                        propagateDown: [Bool], bottom: [Blob]) {
        let rows = timesteps * streams, g = gateRows
        if paramPropagateDown[0] {
            BLAS.gemm(transposeA: true, transposeB: false, m: g, n: inputSize, k: rows, alpha: 1,
                      a: gatesDiff, b: bottom[0].data, beta: 1, c: blobs[0].diff)
        }
        if paramPropagateDown[1] {
            BLAS.gemv(transposeA: true, m: rows, n: g, alpha: 1, a: gatesDiff, x: ones.data, beta: 1, y: blobs[1].diff)
        }
        let w = recurrentWeightIndex
        if paramPropagateDown[w] {
            BLAS.gemm(transposeA: true, transposeB: false, m: g, n: numOutput, k: rows, alpha: 1,
                      a: gatesDiff, b: conted, beta: 1, c: blobs[w].diff)
        }
        if hasStaticInput, paramPropagateDown[2] || propagateDown[2] {
            // The static part is added at every step: its gradient is the sum over the steps.
            let n = streams, sum = staticGatesDiff.data
            BLAS.gemv(transposeA: true, m: timesteps, n: n * g, alpha: 1, a: gatesDiff, x: ones.data, beta: 0, y: sum)
            if paramPropagateDown[2] {
                BLAS.gemm(transposeA: true, transposeB: false, m: g, n: staticInputSize, k: n, alpha: 1,
                          a: sum, b: bottom[2].data, beta: 1, c: blobs[2].diff)
            }
            if propagateDown[2] {
                BLAS.gemm(transposeA: false, transposeB: false, m: n, n: staticInputSize, k: g, alpha: 1,
                          a: sum, b: blobs[2].data, beta: 0, c: bottom[2].diff)
            }
        }
        if propagateDown[0] {
            BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: inputSize, k: g, alpha: 1,
                      a: gatesDiff, b: blobs[0].data, beta: 0, c: bottom[0].diff)
        }
    }

    /// Caffe's CHECK: the continuation flags get no gradient.
    func rejectContinuationGradient(_ propagateDown: [Bool]) throws {
        if propagateDown[1] {
            throw shapeError("\(type) cannot backpropagate to its sequence continuation input (bottom 1)",
                             hint: "set 'propagate_down: false' on that bottom")
        }
    }

    /// out[r, j] = scale[r] · values[r, j] (`out` may be `values`).
    static func scaleRows(_ values: UnsafePointer<Float>, by scale: UnsafePointer<Float>, rows: Int, columns: Int,
                          into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let s = scale[r], input = values + r * columns, output = out + r * columns
            for j in 0..<columns { output[j] = s * input[j] }
        }
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int {
        timesteps * streams * gateRows * (inputSize + numOutput) + streams * gateRows * staticInputSize
    }
}
