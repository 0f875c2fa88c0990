import CaffeProto

/// What a prefetching data layer reads (`DatumReader`, `ImageListReader`): the shape of
/// its examples and how to read one. The batch loop, the position and the per-example
/// random stream are `BatchFiller`'s, the same for every reader.
protocol ExampleReader: AnyObject {
    /// Output shape of one example (after the transform), fixed by the first example.
    var exampleShape: ExampleShape { get }

    /// Prepares to read example number `position` next.
    func seek(to position: Int64) throws

    /// Passes over `count` examples (the other ranks' share of a global batch) after the
    /// one read last, so that the next one read is number `position`. Cheaper than
    /// `seek` for a reader that can only step forward.
    func skip(_ count: Int64, to position: Int64) throws

    /// Reads example number `position` (the one `seek` prepared, or the one after the
    /// example read last), transforms it into `output` (`exampleShape.count` floats)
    /// with `random`, already reseeded for this example, and returns its label.
    func readExample(_ position: Int64, into output: UnsafeMutablePointer<Float>,
                     random: RandomSource) throws -> Float
}

/// Fills batches from a reader: the work of a prefetching data layer's producer
/// thread. Used by one thread at a time.
///
/// Example number k (counted from the layer's start, across epochs) gets its crop,
/// flip and lighting from a random stream seeded with (seed, k): the batches are a
/// function of the position alone, which is what makes resuming from a snapshot exact.
/// In data-parallel training (`shard`) the filler reads its rank's batch_size examples
/// of each global batch and passes over the other ranks' ones.
final class BatchFiller {
    let reader: any ExampleReader
    let batchSize: Int
    let shard: DataShard
    private let seed: UInt64
    private let random = RandomSource(seed: 0)
    /// The next example's number.
    private(set) var position: Int64 = 0
    /// Net inputs each example becomes: 1, or `TenCrop.count` for 10-crop testing (the
    /// reader then writes an example's patches one after another).
    var viewsPerExample = 1

    init(reader: any ExampleReader, batchSize: Int, seed: UInt64, shard: DataShard = .whole) {
        self.reader = reader
        self.batchSize = batchSize
        self.seed = seed
        self.shard = shard
    }

    /// Positions the reader so the next example is number `position`.
    func seek(to position: Int64) throws {
        try reader.seek(to: position)
        self.position = position
    }

    /// Fills one batch: `data` gets batchSize × views × C × H × W values, `labels` (if
    /// not empty) batchSize labels. Runs on the prefetch thread: reading and decoding
    /// allocate here, never on the solver's side.
    func fill(data: UnsafeMutableBufferPointer<Float>, labels: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = data.baseAddress else { return }
        let stride = reader.exampleShape.count * viewsPerExample
        for item in 0..<batchSize {
            random.reseed(forExample: position, layerSeed: seed)
            let label = try reader.readExample(position, into: base + item * stride, random: random)
            if !labels.isEmpty { labels[item] = label }
            position += 1
        }
        if shard.count > 1 {
            // The other ranks' examples of this global batch.
            let others = Int64(batchSize * (shard.count - 1))
            position += others
            try reader.skip(others, to: position)
        }
    }
}

/// The shape every example of a data layer must give after the transform, and what to
/// tell the user when one does not.
struct ExpectedExample {
    let shape: ExampleShape
    /// Where the shape comes from: "the database's first record".
    let origin: String
    /// How to make the examples agree.
    let hint: String
}

extension DataTransformer {
    /// Transforms one stored example into `output`, after checking that it gives an
    /// example of the layer's shape. `source` names it in errors (built only for one).
    func transform(_ pixels: ExamplePixels, expecting expected: ExpectedExample,
                   into output: UnsafeMutablePointer<Float>, random: RandomSource,
                   source: @autoclosure () -> String) throws {
        let out = try outputShape(of: pixels.shape, source: source())
        guard out == expected.shape else {
            throw SwiftCaffeError(.io,
                "\(source()) is \(pixels.shape), which gives a \(out) example, but the layer's examples are "
                    + "\(expected.shape) (from \(expected.origin))",
                hint: expected.hint)
        }
        try pixels.withValues { bytes, floats in
            if let bytes {
                try transform(bytes: bytes, shape: pixels.shape, into: output, random: random, source: source())
            } else if let floats {
                try transform(floats: floats, shape: pixels.shape, into: output, random: random, source: source())
            }
        }
    }

    /// Transforms a Datum (raw, float_data, or encoded and decoded in `decodeMode`).
    func transform(_ datum: Caffe_Datum, expecting expected: ExpectedExample,
                   into output: UnsafeMutablePointer<Float>, random: RandomSource,
                   source: @autoclosure () -> String) throws {
        let pixels = try ExamplePixels(datum, source: source(), mode: decodeMode)
        try transform(pixels, expecting: expected, into: output, random: random, source: source())
    }
}
