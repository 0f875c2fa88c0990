import Foundation

/// How `swiftcaffe train` runs under mpirun: the world of ranks and the settings of
/// the gradient exchange. The solver uses it to shard the data, reduce gradients,
/// agree on losses and signals, split the test passes, check that the weights stay
/// equal, and let rank 0 alone log and snapshot.
public final class DataParallel {
    public let world: MPIWorld
    /// Gradient bucket size (`--bucket_mb`).
    public let bucketBytes: Int
    /// Start each bucket's all-reduce during backward (`--overlap`).
    public let overlaps: Bool
    /// Compare the ranks' weight checksums every this many iterations (0: never).
    public let weightCheckInterval: Int

    public init(world: MPIWorld, bucketBytes: Int = 25 << 20, overlaps: Bool = true, weightCheckInterval: Int = 100) {
        self.world = world
        self.bucketBytes = bucketBytes
        self.overlaps = overlaps
        self.weightCheckInterval = weightCheckInterval
    }

    public var rank: Int { world.rank }
    public var size: Int { world.size }
    /// Rank 0 logs and writes snapshots.
    public var isLeader: Bool { world.rank == 0 }
    public var shard: DataShard { DataShard(rank: world.rank, count: world.size) }

    /// The gradient exchange for `net`'s learnable parameters.
    public func gradientReducer(for net: Net) -> GradientAllReduce {
        let params = net.learnableParams
        var index: [ObjectIdentifier: Int] = [:]
        for (i, blob) in params.enumerated() { index[ObjectIdentifier(blob)] = i }
        var owners = Array(repeating: [Int](), count: params.count)
        for (l, layer) in net.layers.enumerated() {
            for blob in layer.blobs { if let i = index[ObjectIdentifier(blob)] { owners[i].append(l) } }
        }
        return GradientAllReduce(world: world, params: params, owners: owners, bucketBytes: bucketBytes,
                                 overlaps: overlaps)
    }

    /// How many of `batches` global test batches, starting at global batch `first`,
    /// this rank runs: global batch g belongs to rank g mod N (the rank whose data
    /// layer reads it), so shares differ by at most one.
    public static func share(ofBatches batches: Int, from first: Int, rank: Int, size: Int) -> Int {
        guard size > 1 else { return batches }
        // Batches g in first ..< first + batches with g mod size == rank.
        func upTo(_ end: Int) -> Int { end <= rank ? 0 : (end - rank - 1) / size + 1 }
        return upTo(first + batches) - upTo(first)
    }

    /// A checksum of the weights that differs when any weight does (a sum weighted by
    /// position, in double, so that swapped or shifted values change it too).
    public static func checksum(_ params: [Blob]) -> Double {
        var total = 0.0
        for p in params.indices {
            let data = params[p].data, n = params[p].count
            var sum = 0.0
            for i in 0..<n { sum += Double(data[i]) * Double(1 + (i & 1023)) }
            total += sum * Double(p + 1)
        }
        return total
    }

    /// Compares the weight checksums of all ranks; a difference is an error naming the
    /// iteration and the ranks whose weights differ from rank 0's.
    public func checkWeightsEqual(_ params: [Blob], iteration: Int) throws {
        let sums = try world.gather(Self.checksum(params))
        try Self.requireEqual(sums, iteration: iteration)
    }

    static func requireEqual(_ sums: [Double], iteration: Int) throws {
        guard let reference = sums.first else { return }
        let drifted = sums.indices.filter { sums[$0].bitPattern != reference.bitPattern }
        guard !drifted.isEmpty else { return }
        let list = drifted.map { "rank \($0) (\(sums[$0]))" }.joined(separator: ", ")
        throw SwiftCaffeError(.semantic,
            "the weights of the ranks differ at iteration \(iteration): rank 0's checksum is \(reference), \(list)",
            hint: "every rank must build the same net with the same random_seed and start from the same "
                + "--weights or --snapshot; resume all ranks from the last snapshot")
    }
}
