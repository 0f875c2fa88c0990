/// The share of a data layer's examples one process reads in data-parallel training:
/// rank r of N reads, of every global batch of N × batch_size examples, the r-th
/// batch_size examples. So N processes together read exactly the examples, in the
/// order, that one process with batch N × batch_size reads, and since every example's
/// random crop/flip comes from its position, they also transform them identically.
public struct DataShard: Equatable, Sendable, CustomStringConvertible {
    /// This process's rank, 0 ..< count.
    public let rank: Int
    /// Number of processes sharing the data.
    public let count: Int

    /// One process reads everything (no distribution).
    public static let whole = DataShard(rank: 0, count: 1)

    /// `rank` is clamped into 0 ..< count, `count` to at least 1.
    public init(rank: Int, count: Int) {
        self.count = max(count, 1)
        self.rank = min(max(rank, 0), self.count - 1)
    }

    /// Examples of one global batch, when each process reads `batchSize`.
    public func globalBatch(_ batchSize: Int) -> Int { batchSize * count }

    /// Where this process's share of the global batch starting at `globalStart` begins.
    public func localStart(ofGlobalBatchAt globalStart: Int64, batchSize: Int) -> Int64 {
        globalStart + Int64(rank * batchSize)
    }

    public var description: String { "rank \(rank) of \(count)" }
}
