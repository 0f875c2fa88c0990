import Foundation

/// 10-crop testing (`swiftcaffe test --oversample`, the AlexNet paper's §4.1): every
/// example is scored by the average of the softmax over its ten patches (4 corners +
/// centre, and their mirrors), and the net's test outputs — Accuracy, loss — are computed
/// from that average. The centre-crop outputs come from the same passes.
///
/// How: the data layers hand each batch out in ten forward passes, patch v in pass v
/// (`PrefetchingDataLayer.useTenCrops`). The **scores** are the blobs the Accuracy layers
/// read (through Split layers; the SoftmaxWithLoss inputs when there is no Accuracy).
/// The net is cut in two:
/// - the trunk: every layer up to the last layer that writes a score blob, except those
///   that read a score blob — run once per patch; after each run the softmax of every score
///   blob over its class axis is added up (a score blob a Softmax layer wrote is added as
///   it is);
/// - the head: the layers that read the score blobs, directly or through other head
///   layers, and every layer after the trunk — run once per batch, twice: first on the
///   centre patch's scores (what plain `test` computes), then on the averaged ones.
///
/// The averaged probabilities p̄ go into the score blob as log p̄, so that the head's
/// layers see them unchanged: SoftmaxWithLoss computes softmax(log p̄) = p̄ and its loss
/// is −log p̄[label], the cross-entropy of the averaged prediction; Accuracy's ranking of
/// log p̄ is that of p̄. A score blob that already holds probabilities gets p̄ itself.
/// Losses computed in the trunk are averaged over the ten passes.
public final class TenCropScorer {
    /// A blob whose values are averaged over the ten patches.
    final class ScoreBlob {
        let id: Int
        /// The layer that writes it last before it is read.
        let producer: Int
        /// It holds probabilities already (a Softmax layer wrote it).
        let isProbability: Bool
        /// The class axis (the consumers' `axis`, canonical).
        let axis: Int
        /// The sum over patches of the probabilities, and the centre patch's raw values.
        let sums: UnsafeMutableBufferPointer<Float>
        let centre: UnsafeMutableBufferPointer<Float>

        init(id: Int, producer: Int, isProbability: Bool, axis: Int, count: Int) {
            (self.id, self.producer, self.isProbability, self.axis) = (id, producer, isProbability, axis)
            sums = .allocate(capacity: count)
            sums.initialize(repeating: 0)
            centre = .allocate(capacity: count)
            centre.initialize(repeating: 0)
        }

        deinit {
            sums.deallocate()
            centre.deallocate()
        }
    }

    public let net: Net
    /// The outputs from the averaged scores, and from the centre patch's.
    public private(set) var tenCrop: NetScorer
    public private(set) var centre: NetScorer
    /// The names of the averaged blobs, for the header line.
    public let scoreNames: [String]
    private let scores: [ScoreBlob]
    private let trunk: [Int]
    private let head: [Int]
    /// The centre-crop value of every output of the last batch, in Caffe's numbering.
    private var centreValues: [Float]

    /// Checks the net and switches its data layers to ten patches per example.
    public init(net: Net) throws {
        self.net = net
        let dataLayers = net.layers.compactMap { $0 as? PrefetchingDataLayer }
        guard !dataLayers.isEmpty else {
            throw SwiftCaffeError(.usage,
                "--oversample needs a Data or ImageData layer to cut the ten patches from, and net '\(net.name)' has none",
                hint: "score the net that reads the dataset (the train_val file), or classify single images "
                    + "with 'swiftcaffe classify --oversample'")
        }
        let scores = try Self.findScores(net)
        let cut = (scores.map(\.producer).max() ?? -1) + 1
        // Head: after the cut, or reading a score blob (or a head layer's output) before it.
        var derived = Set<Int>(), trunk: [Int] = [], head: [Int] = []
        for i in net.layers.indices {
            if i >= cut || net.bottomIDs[i].contains(where: derived.contains) {
                head.append(i)
                derived.formUnion(net.topIDs[i])
            } else {
                trunk.append(i)
            }
            for s in scores where s.producer == i { derived.insert(s.id) }
        }
        if let i = head.first(where: { net.layers[$0] is PrefetchingDataLayer }) {
            throw SwiftCaffeError(.semantic, "--oversample: data layer '\(net.layers[i].name)' comes after the scores",
                                  layer: net.layers[i].name, hint: "put the data layers first in the net")
        }
        self.scores = scores
        self.trunk = trunk
        self.head = head
        scoreNames = scores.map { net.blobNames[$0.id] }
        tenCrop = NetScorer(net: net)
        centre = NetScorer(net: net)
        centreValues = Array(repeating: 0, count: tenCrop.sums.count)
        for layer in dataLayers {
            do {
                try layer.useTenCrops()
            } catch let error as SwiftCaffeError {
                throw error.inLayer(layer.name, at: nil)
            }
        }
    }

    /// The score blobs: the Accuracy layers' first bottoms, or else the SoftmaxWithLoss
    /// layers', traced back through Split layers to the blob their producer writes.
    private static func findScores(_ net: Net) throws -> [ScoreBlob] {
        var consumers = net.layers.indices.filter { net.layers[$0].type == "Accuracy" }
        if consumers.isEmpty { consumers = net.layers.indices.filter { net.layers[$0].type == "SoftmaxWithLoss" } }
        guard !consumers.isEmpty else {
            throw SwiftCaffeError(.usage,
                "--oversample averages the scores an Accuracy or SoftmaxWithLoss layer reads, and net '\(net.name)' has neither",
                hint: "add an Accuracy layer on the class scores to the TEST phase")
        }
        var found: [ScoreBlob] = []
        for c in consumers {
            var blob = net.bottomIDs[c][0], before = c
            var producer: Int?
            while let p = (0..<before).last(where: { net.topIDs[$0].contains(blob) }) {
                producer = p
                guard net.layers[p].type == "Split" else { break }
                (blob, before) = (net.bottomIDs[p][0], p)
                producer = nil
            }
            guard let producer else {
                throw SwiftCaffeError(.semantic, "--oversample: no layer computes '\(net.blobNames[blob])'",
                                      layer: net.layers[c].name)
            }
            if found.contains(where: { $0.id == blob }) { continue }
            let shape = net.blobs[blob].shape
            let param = net.layers[c].param
            let rawAxis = Int(net.layers[c].type == "Accuracy" ? param.accuracyParam.axis : param.softmaxParam.axis)
            let axis = rawAxis < 0 ? rawAxis + shape.count : rawAxis
            guard axis >= 0, axis < shape.count else {
                throw SwiftCaffeError(.semantic, "--oversample: axis \(rawAxis) is outside '\(net.blobNames[blob])' "
                                      + "(\(Blob.describe(shape)))", layer: net.layers[c].name)
            }
            found.append(ScoreBlob(id: blob, producer: producer, isProbability: net.layers[producer].type == "Softmax",
                                   axis: axis, count: net.blobs[blob].count))
        }
        return found
    }

    /// Scores one batch: ten trunk passes, then the head on the centre scores and on the
    /// averaged ones. `each` sees every output value of this batch: 10-crop, centre crop.
    public func scoreBatch(_ each: (_ tenCrop: NetScorer.Score, _ centre: NetScorer.Score) -> Void = { _, _ in }) throws {
        for s in scores { s.sums.update(repeating: 0) }
        var trunkLoss: Float = 0, centreTrunkLoss: Float = 0
        for v in 0..<TenCrop.count {
            var loss: Float = 0
            for t in trunk.indices {
                loss += try net.forward(layers: trunk[t]..<(trunk[t] + 1))
            }
            trunkLoss += loss
            for s in scores {
                let blob = net.blobs[s.id]
                if v == TenCrop.centre {
                    _ = s.centre.update(fromContentsOf: UnsafeBufferPointer(start: blob.data, count: blob.count))
                    centreTrunkLoss = loss
                }
                Self.addProbabilities(of: blob, axis: s.axis, alreadyProbabilities: s.isProbability, into: s.sums)
            }
        }
        var index = 0
        try centre.scoreBatch({ score in
            centreValues[index] = score.value
            index += 1
        }, forward: { [self] in
            for s in scores { net.blobs[s.id].data.update(from: s.centre.baseAddress!, count: s.centre.count) }
            return try centreTrunkLoss + runHead()
        })
        index = 0
        try tenCrop.scoreBatch({ score in
            each(score, NetScorer.Score(name: score.name, value: centreValues[index], lossWeight: score.lossWeight))
            index += 1
        }, forward: { [self] in
            for s in scores {
                let data = net.blobs[s.id].data, n = Float(TenCrop.count)
                for k in 0..<s.sums.count {
                    let mean = s.sums[k] / n
                    // log p̄ (finite for p̄ = 0): softmax(log p̄) = p̄ for the loss layers.
                    data[k] = s.isProbability ? mean : Foundation.log(max(mean, Float.leastNormalMagnitude))
                }
            }
            return try trunkLoss / Float(TenCrop.count) + runHead()
        })
    }

    private func runHead() throws -> Float {
        var loss: Float = 0
        for h in head.indices { loss += try net.forward(layers: head[h]..<(head[h] + 1)) }
        return loss
    }

    /// sums += softmax of `blob` over `axis` (or `blob` itself when it holds probabilities).
    static func addProbabilities(of blob: Blob, axis: Int, alreadyProbabilities: Bool,
                                 into sums: UnsafeMutableBufferPointer<Float>) {
        let values = blob.data
        if alreadyProbabilities {
            for k in 0..<blob.count { sums[k] += values[k] }
            return
        }
        let outer = blob.count(from: 0, to: axis), classes = blob.dim(axis), inner = blob.count(from: axis + 1)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * classes * inner + i
                var largest = -Float.infinity
                for c in 0..<classes { largest = max(largest, values[base + c * inner]) }
                var total: Float = 0
                for c in 0..<classes { total += Foundation.exp(values[base + c * inner] - largest) }
                for c in 0..<classes { sums[base + c * inner] += Foundation.exp(values[base + c * inner] - largest) / total }
            }
        }
    }
}
