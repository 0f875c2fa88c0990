import CaffeProto

/// Caffe's "Embed": a lookup table, each index of the bottom replaced by a learned
/// vector of `num_output` values (equivalent to an InnerProduct on one-hot inputs).
///
/// bottom: indices of any shape (floats holding integers in [0, input_dim));
/// top: the bottom's shape + [num_output]. weights: input_dim × num_output; bias
/// (bias_term, default true): num_output, added to every vector.
/// Backward: weight row i accumulates the top diffs of the positions holding index i,
/// the bias the sum of all top diffs. The indices get no gradient.
public final class EmbedLayer: Layer {
    public let numOutput: Int
    public let inputDim: Int
    public let biasTerm: Bool
    /// Indices looked up per forward (the bottom's count) at the last reshape.
    public private(set) var lookups = 0

    private let weightFiller: Filler
    private let biasFiller: Filler?

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.embedParam
        guard p.numOutput > 0 else {
            throw SwiftCaffeError.invalid("embed_param.num_output", "num_output must be positive (got \(p.numOutput))",
                                          hint: "set num_output to the size of each embedding vector")
        }
        guard p.inputDim > 0 else {
            throw SwiftCaffeError.invalid("embed_param.input_dim", "input_dim must be positive (got \(p.inputDim))",
                                          hint: "set input_dim to the vocabulary size (indices are 0..<input_dim)")
        }
        numOutput = Int(p.numOutput)
        inputDim = Int(p.inputDim)
        biasTerm = p.biasTerm
        // Absent fillers are Caffe's default FillerParameter: constant 0.
        weightFiller = try Filler(p.weightFiller, field: "embed_param.weight_filler")
        biasFiller = p.biasTerm ? try Filler(p.biasFiller, field: "embed_param.bias_filler") : nil
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { false }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        blobs = [try Blob(shape: [inputDim, numOutput])]
        if biasTerm { blobs.append(try Blob(shape: [numOutput])) }
    }

    public override func fillParameters() throws {
        try weightFiller.fill(blobs[0], random: random)
        if let biasFiller, blobs.count > 1 { try biasFiller.fill(blobs[1], random: random) }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard top[0] !== bottom[0] else {
            throw shapeError("Embed cannot compute in place", hint: "give its top a new name")
        }
        lookups = bottom[0].count
        try top[0].reshape(bottom[0].shape + [numOutput])
    }

    /// The row of the bottom's value at `position`: an integer in [0, input_dim), or an error naming it.
    private func row(_ value: Float, at position: Int) throws -> Int {
        if value.rounded(.towardZero) == value, value >= 0, value < Float(inputDim) { return Int(value) }
        throw shapeError("index \(value) at position \(position) of the bottom is not an integer in 0..<\(inputDim)",
                         hint: "Embed's bottom holds word indices below embed_param.input_dim (\(inputDim))")
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let indices = bottom[0].data, y = top[0].data, weights = blobs[0].data
        let n = numOutput
        for position in 0..<lookups {
            let index = try row(indices[position], at: position)
            (y + position * n).update(from: weights + index * n, count: n)
        }
        if biasTerm {
            let bias = blobs[1].data
            Parallel.forEach(lookups, workPerItem: n) { position in
                let vector = y + position * n
                for j in 0..<n { vector[j] += bias[j] }
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown.count > 0, propagateDown[0] {
            throw shapeError("Embed cannot backpropagate to its index input",
                             hint: "set 'propagate_down: false' on its bottom")
        }
        let indices = bottom[0].data, dy = top[0].diff
        let n = numOutput
        if paramPropagateDown.count > 0, paramPropagateDown[0] {
            let weightDiff = blobs[0].diff
            // Serial: several positions may hold the same index.
            for position in 0..<lookups {
                let index = try row(indices[position], at: position)
                let gradient = dy + position * n, target = weightDiff + index * n
                for j in 0..<n { target[j] += gradient[j] }
            }
        }
        if biasTerm, paramPropagateDown.count > 1, paramPropagateDown[1] {
            let biasDiff = blobs[1].diff
            for position in 0..<lookups {
                let gradient = dy + position * n
                for j in 0..<n { biasDiff[j] += gradient[j] }
            }
        }
    }
}
