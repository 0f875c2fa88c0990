/// Scores a net as Caffe's `Solver::Test` and `caffe test` do: every forward pass adds
/// its loss and each value of each output blob (Caffe numbers them in output order,
/// element by element) to running sums, and the scores are their means, each shown
/// with the loss weight of its blob: "accuracy = 0.91", "loss = 0.3 (* 1 = 0.3 loss)".
///
/// The solver's test pass and `swiftcaffe test` both score through this type, so their
/// numbers and wording cannot drift apart. Scoring a batch allocates nothing.
public struct NetScorer {
    /// One output value with the loss weight of its blob (0: not a loss).
    public struct Score: CustomStringConvertible {
        public let name: String
        public let value: Float
        public let lossWeight: Float

        /// Caffe's wording, e.g. "loss = 2.30259 (* 1 = 2.30259 loss)"; the note only for a loss.
        public var description: String {
            let text = "\(name) = \(SolverLog.number(value))"
            guard lossWeight != 0 else { return text }
            return text + " (* \(SolverLog.number(lossWeight)) = \(SolverLog.number(lossWeight * value)) loss)"
        }
    }

    public let net: Net
    /// Per blob of `net`: the loss weight of the top that produces it (0: not a loss).
    public let lossWeights: [Float]
    /// Forward passes scored since the last `reset()`.
    public private(set) var batches = 0
    /// The sum of their losses (the weighted sum `Net.forward()` returns).
    public private(set) var lossSum: Float = 0
    /// Per output value, in Caffe's numbering: the sum over those passes.
    public private(set) var sums: [Float]

    public init(net: Net) {
        self.net = net
        var weights = Array(repeating: Float(0), count: net.blobs.count)
        for (i, layer) in net.layers.enumerated() {
            for (j, w) in layer.lossWeights.enumerated() where w != 0 && j < net.topIDs[i].count {
                weights[net.topIDs[i][j]] = w
            }
        }
        lossWeights = weights
        sums = Array(repeating: 0, count: net.outputIDs.reduce(0) { $0 + net.blobs[$1].count })
    }

    /// Starts a new pass: no batches, zero sums.
    public mutating func reset() {
        batches = 0
        lossSum = 0
        for i in sums.indices { sums[i] = 0 }
    }

    /// Runs one forward pass and adds its loss and output values; `each` sees every
    /// output value of this batch (e.g. `caffe test`'s "Batch k, name = v" lines).
    /// `forward` runs the pass and returns its loss (10-crop testing runs its own).
    public mutating func scoreBatch(_ each: (Score) -> Void = { _ in }, forward: (() throws -> Float)? = nil) throws {
        lossSum += try forward?() ?? net.forward()
        batches += 1
        // Index loops: iterators over arrays allocate in debug builds.
        var index = 0
        let outputs = net.outputIDs
        for o in outputs.indices {
            let id = outputs[o], blob = net.blobs[id], values = blob.data
            for k in 0..<blob.count {
                sums[index] += values[k]
                index += 1
                each(Score(name: net.blobNames[id], value: values[k], lossWeight: lossWeights[id]))
            }
        }
    }

    /// Takes totals summed elsewhere (data-parallel testing: the sums of all ranks).
    public mutating func replaceTotals(lossSum: Float, batches: Int, sums: [Float]) {
        self.lossSum = lossSum
        self.batches = batches
        for i in self.sums.indices where i < sums.count { self.sums[i] = sums[i] }
    }

    /// The mean loss of the passes scored since the last reset.
    public var meanLoss: Float { lossSum / Float(batches) }

    /// The mean of every output value over the passes scored since the last reset, in Caffe's numbering.
    public var means: [Score] { scores { index, _ in sums[index] / Float(batches) } }

    /// The output values the net holds now (after its last forward pass), in Caffe's
    /// numbering: the solver's "Train net output #k" lines.
    public var current: [Score] { scores { _, value in value } }

    /// One score per output value; `value(index, current)` gives its number from its
    /// index in Caffe's numbering and the value the net holds now.
    private func scores(_ value: (_ index: Int, _ current: Float) -> Float) -> [Score] {
        var scores: [Score] = []
        scores.reserveCapacity(sums.count)
        for id in net.outputIDs {
            let blob = net.blobs[id], values = blob.data
            for k in 0..<blob.count {
                scores.append(Score(name: net.blobNames[id], value: value(scores.count, values[k]),
                                    lossWeight: lossWeights[id]))
            }
        }
        return scores
    }
}
