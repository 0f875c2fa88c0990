import CaffeProto

/// Caffe's "LSTM": a long short-term memory over T time steps of N streams
/// (bottoms, tops and state as `RecurrentLayer` describes; H = num_output).
///
/// Each step, as Caffe's unrolled net computes it:
///
///     gates_t = W_hc · (cont_t · h_{t−1}) + (W_xc · x_t + b_c) [+ W_xc_static · x_static]
///     c_t, h_t = LSTMUnit(c_{t−1}, gates_t, cont_t)      (gate blocks i, f, o, g)
///
/// top 0 is h (T × N × H); with expose_hidden the bottoms add h_0, c_0 and the tops
/// h_T, c_T (1 × N × H each). Parameters in Caffe's order: W_xc (4H × D), b_c (4H),
/// [W_xc_static (4H × S)], W_hc (4H × H).
/// Backward is backpropagation through time over the T steps of the batch.
public final class LSTMLayer: RecurrentLayer {
    override class var stateCount: Int { 2 }
    override class var gatesPerCell: Int { 4 }

    /// Gate inputs of every step before the unit (T × N × 4H), and their gradient.
    private let gates = Blob(0), gatesDiff = Blob(0)
    /// Cell states c_t of every step (T × N × H).
    private let cellStates = Blob(0)
    /// cont_t · h_{t−1} of every step (T × N × H), the input of W_hc.
    private let conted = Blob(0)
    /// Gradients flowing back one step: of h_{t−1} (through W_hc), of h_t (all of
    /// it), and of c_t (N × H each).
    private let previousHiddenDiff = Blob(0), hiddenDiff = Blob(0), cellDiff = Blob(0)

    override func reshapeScratch() throws {
        let steps = [timesteps, streams, numOutput], one = [streams, numOutput]
        try gates.reshape([timesteps, streams, gateRows])
        try gatesDiff.reshape([timesteps, streams, gateRows])
        try cellStates.reshape(steps)
        try conted.reshape(steps)
        for b in [previousHiddenDiff, hiddenDiff, cellDiff] { try b.reshape(one) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let (n, h, g) = (streams, numOutput, gateRows), step = streams * numOutput
        let hidden = top[0].data, cells = cellStates.data, cont = UnsafePointer(bottom[1].data)
        inputTransform(bottom: bottom, gates: gates.data)
        let h0 = beginState(0, bottom: bottom), c0 = beginState(1, bottom: bottom)
        for t in 0..<timesteps {
            let gatesT = gates.data + t * n * g
            recurrentTransform(step: t, previous: t == 0 ? h0 : UnsafePointer(hidden + (t - 1) * step),
                               cont: cont, conted: conted.data + t * step, gates: gatesT)
            LSTMUnitLayer.forwardStep(streams: n, cells: h, cPrev: t == 0 ? c0 : UnsafePointer(cells + (t - 1) * step),
                                      gates: gatesT, cont: cont + t * n, c: cells + t * step, h: hidden + t * step)
        }
        let last = (timesteps - 1) * step
        endState(0, hidden + last, top: top)
        endState(1, cells + last, top: top)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try rejectContinuationGradient(propagateDown)
        let (n, h, g) = (streams, numOutput, gateRows), step = streams * numOutput
        let hiddenTopDiff = UnsafePointer(top[0].diff), cells = UnsafePointer(cellStates.data)
        let cont = UnsafePointer(bottom[1].data)
        let carried = previousHiddenDiff.data, dh = hiddenDiff.data, dc = cellDiff.data
        // Past the last step: the exposed final state's gradient, or none (Caffe's
        // recurrent outputs have zero diffs: no backpropagation across batches).
        if let d = endStateDiff(0, top: top) { carried.update(from: d, count: step) } else { previousHiddenDiff.fillData(0) }
        if let d = endStateDiff(1, top: top) { dc.update(from: d, count: step) } else { cellDiff.fillData(0) }
        let c0 = startedState(1, bottom: bottom)
        for t in stride(from: timesteps - 1, through: 0, by: -1) {
            let fromTop = hiddenTopDiff + t * step
            for i in 0..<step { dh[i] = fromTop[i] + carried[i] }
            let gatesDiffT = gatesDiff.data + t * n * g
            LSTMUnitLayer.backwardStep(streams: n, cells: h, cPrev: t == 0 ? c0 : cells + (t - 1) * step,
                                       gates: gates.data + t * n * g, cont: cont + t * n, c: cells + t * step,
                                       cDiff: dc, hDiff: dh, cPrevDiff: dc, gatesDiff: gatesDiffT)
            recurrentGradient(step: t, gatesDiff: gatesDiffT, cont: cont, into: carried)
        }
        beginStateDiff(0, carried, propagateDown: propagateDown, bottom: bottom)
        beginStateDiff(1, dc, propagateDown: propagateDown, bottom: bottom)
        inputGradients(gatesDiff: gatesDiff.data, conted: conted.data, propagateDown: propagateDown, bottom: bottom)
    }
}
