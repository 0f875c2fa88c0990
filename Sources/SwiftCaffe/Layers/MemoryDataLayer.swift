import CaffeProto

/// Caffe's "MemoryData": examples handed to the net from Swift instead of read from
/// a file, for programs that build their data themselves.
///
/// tops: data (batch_size × channels × height × width) and optionally label
/// (batch_size), shaped by memory_data_param. Give the layer examples with
/// `reset(data:labels:)` (values used as they are, like Caffe's `Reset`) or
/// `add(datums:)` (Datums run through transform_param, like Caffe's
/// `AddDatumVector`); each forward pass then copies the next batch_size examples
/// and wraps around at the end. The example count must be a multiple of batch_size.
public final class MemoryDataLayer: Layer {
    public let batchSize: Int
    /// channels × height × width of one example (of the top, after any crop).
    public let exampleShape: ExampleShape
    private var values: [Float] = []   // examples × C × H × W
    private var labels: [Float] = []   // examples
    private var position = 0
    private var transformer: DataTransformer?
    private let exampleRandom = RandomSource(seed: 0)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.memoryDataParam
        for (field, value) in [("batch_size", p.batchSize), ("channels", p.channels),
                               ("height", p.height), ("width", p.width)] where value == 0 {
            throw SwiftCaffeError.invalid("memory_data_param.\(field)", "\(field) must be positive (got 0)",
                hint: "memory_data_param { batch_size: N channels: C height: H width: W }")
        }
        batchSize = Int(p.batchSize)
        exampleShape = ExampleShape(channels: Int(p.channels), height: Int(p.height), width: Int(p.width))
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }

    /// Examples the layer holds.
    public var exampleCount: Int { labels.count }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        transformer = try DataTransformer(param: param.transformParam, phase: phase)
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        try top[0].reshape(exampleShape.batch(batchSize))
        if top.count > 1 { try top[1].reshape([batchSize]) }
    }

    /// Replaces the examples: `data` holds n × C × H × W values, `labels` n labels.
    /// Like Caffe's Reset, the values are not transformed.
    public func reset(data: [Float], labels: [Float]) throws {
        let size = exampleShape.count
        guard data.count == labels.count * size else {
            throw shapeError("\(data.count) data values for \(labels.count) labels, but each example has "
                + "\(exampleShape) = \(size) values",
                hint: "pass n × \(size) values for n labels")
        }
        try checkCount(labels.count)
        values = data
        self.labels = labels
        position = 0
    }

    /// Replaces the examples by `datums` run through transform_param (crop, mirror,
    /// mean, scale, …); each must give a channels × height × width example.
    public func add(datums: [Caffe_Datum]) throws {
        guard let transformer else { throw shapeError("the layer was not set up") }
        try checkCount(datums.count)
        let size = exampleShape.count
        let expected = ExpectedExample(shape: exampleShape, origin: "memory_data_param",
                                       hint: "give Datums that transform_param turns into examples of that size")
        var newValues = [Float](repeating: 0, count: datums.count * size)
        let seed = random.nextUInt64()
        try newValues.withUnsafeMutableBufferPointer { buffer in
            for (i, datum) in datums.enumerated() {
                exampleRandom.reseed(forExample: Int64(i), layerSeed: seed)
                try transformer.transform(datum, expecting: expected, into: buffer.baseAddress! + i * size,
                                          random: exampleRandom, source: "datum \(i)")
            }
        }
        values = newValues
        labels = datums.map { Float($0.label) }
        position = 0
    }

    private func checkCount(_ count: Int) throws {
        guard count > 0, count % batchSize == 0 else {
            throw SwiftCaffeError.invalid("memory_data_param.batch_size",
                "\(count) examples are not a whole number of batches of \(batchSize)",
                hint: "give a multiple of batch_size examples (Caffe requires the same)")
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        guard !labels.isEmpty else {
            throw shapeError("MemoryData has no examples",
                             hint: "give it examples with reset(data:labels:) or add(datums:) before running the net")
        }
        // data: N × C × H × W, label: N, from example `position` on.
        let size = top[0].count / batchSize
        values.withUnsafeBufferPointer { top[0].data.update(from: $0.baseAddress! + position * size, count: top[0].count) }
        if top.count > 1 {
            labels.withUnsafeBufferPointer { top[1].data.update(from: $0.baseAddress! + position, count: batchSize) }
        }
        position = (position + batchSize) % labels.count
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
