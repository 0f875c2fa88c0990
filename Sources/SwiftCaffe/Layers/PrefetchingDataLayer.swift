import CaffeProto
import Foundation

/// Layers that read a dataset in order and can be put back to a position, so that
/// resuming from a snapshot continues with the very batches the run would have seen.
public protocol ResumableDataSource: AnyObject {
    /// Examples this layer has handed to the net since it started (in data-parallel
    /// training: of all ranks together, the same number on every rank).
    var examplesConsumed: Int64 { get }
    /// Examples per forward pass (of all ranks together).
    var examplesPerBatch: Int { get }
    /// Makes the next forward pass start with example number `position`.
    func seek(toExample position: Int64) throws
}

/// The base of the data layers that read a source on a background thread (Data,
/// ImageData), after Caffe's `BasePrefetchingDataLayer`. It owns what they share:
/// batch_size, rand_skip, the tops (data N × C × H × W and optionally label N), the
/// prefetch (`PrefetchedFeed`: `data_param.prefetch` batches ahead, default 4, so the
/// solver never waits on reading or decoding) and the position for resuming. A
/// subclass says only how to open its source (`openReader`) and, for an inspect-only
/// build without the source, what shape to assume (`assumedExampleShape`).
///
/// `rand_skip` skips a random number (below rand_skip) of examples at the start, as
/// in Caffe. For `swiftcaffe summary` (an inspect-only build) a source that does not
/// exist is not an error: the shape is then assumed from the parameters, with a note.
public class PrefetchingDataLayer: Layer, ResumableDataSource {
    /// What a subclass reads from its own parameter message.
    struct Source {
        /// The message whose fields errors name: "data_param".
        let message: String
        let path: String
        /// What `path` names, in messages: "database", "list file".
        let kind: String
        let batchSize: UInt32
        let randSkip: UInt32
        /// Said when `path` is empty.
        var hint: String?
    }

    public let batchSize: Int
    private let source: Source
    private let feed: PrefetchedFeed
    /// Fills batches on the prefetch thread; nil until set up, and when only inspecting
    /// a net whose source does not exist.
    private var filler: BatchFiller?
    /// The transform its reader applies; nil when the filler is.
    private var transformer: DataTransformer?
    /// 10-crop testing is on (`useTenCrops`): each example is handed out as ten forward passes.
    public private(set) var givesTenCrops = false

    /// Set by the net for an inspect-only build (`NetBuildOptions.dataShapes`): the
    /// first top's shape, used instead of reading or assuming it.
    var givenShape: [Int]?
    /// Set by the net (`NetBuildOptions.allowsUnknownShapes`): an inspect-only build
    /// whose shape cannot be inferred leaves it unknown instead of failing.
    var mayLeaveShapeUnknown = false
    /// After setup: the first top's shape could not be inferred (it is left empty).
    private(set) var shapeIsUnknown = false
    /// Set by the net (`NetBuildOptions.dataShard`) before setup: which share of every
    /// global batch this process reads in data-parallel training.
    var shard: DataShard {
        get { feed.shard }
        set { feed.shard = newValue }
    }

    /// Checks batch_size and source; the subclass checks the rest of its parameters.
    init(param: Caffe_LayerParameter, source: Source) throws {
        batchSize = Int(source.batchSize)
        guard batchSize > 0 else {
            throw SwiftCaffeError.invalid("\(source.message).batch_size", "batch_size must be positive (got \(batchSize))")
        }
        guard !source.path.isEmpty else {
            throw SwiftCaffeError.invalid("\(source.message).source", "source (the \(source.kind) path) is required",
                                          hint: source.hint)
        }
        self.source = source
        feed = PrefetchedFeed(batchSize: batchSize, dataParam: param.dataParam)
        try super.init(param: param)
    }

    /// Only the subclasses (Data, ImageData) are layer types.
    public required init(param: Caffe_LayerParameter) throws {
        throw SwiftCaffeError(.semantic, "PrefetchingDataLayer is the base of Data and ImageData, not a layer type")
    }

    // MARK: What a subclass says

    /// Opens the source; the reader's first example fixes the shape. `skip` is the
    /// rand_skip drawn, `seed` the layer's seed (for orders that depend on it).
    func openReader(transformer: DataTransformer, skip: Int, seed: UInt64) throws -> any ExampleReader {
        throw SwiftCaffeError(.semantic, "layer type '\(type)' does not say how to open its source")
    }

    /// Inspect-only without the source: the example shape the parameters imply and the
    /// parameters it comes from ("crop_size"), or an error (`cannotInferShape`).
    func assumedExampleShape() throws -> (shape: ExampleShape, from: String) {
        throw cannotInferShape("the layer cannot assume a shape", hint: nil)
    }

    /// A crop_size × crop_size example of `channels`, when crop_size is set.
    func cropSquare(channels: Int) -> (shape: ExampleShape, from: String)? {
        let crop = Int(param.transformParam.cropSize)
        return crop > 0 ? (ExampleShape(channels: channels, height: crop, width: crop), "crop_size") : nil
    }

    /// The error when the parameters imply no shape: `missing` says which are not set.
    func cannotInferShape(_ missing: String, hint: String?) -> SwiftCaffeError {
        shapeError("cannot infer the shape of '\(param.top[0])': the \(source.kind) '\(source.path)' "
                   + "does not exist and \(missing)",
                   hint: (hint.map { $0 + ", " } ?? "") + "or give the shape to summary, draw or time "
                       + "with --data-shape N,C,H,W")
    }

    // MARK: The layer

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...2 }

    public var examplesConsumed: Int64 { feed.nextExample }
    public var examplesPerBatch: Int { feed.shard.globalBatch(batchSize) }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        if inspectOnly && (givenShape != nil || !FileManager.default.fileExists(atPath: source.path)) {
            return  // reshape takes the given shape or assumes one from the parameters
        }
        let transformer = try DataTransformer(param: param.transformParam, phase: phase)
        let randSkip = Int(source.randSkip)
        let skip = randSkip > 0 ? random.nextInt(below: randSkip) : 0
        let seed = random.nextUInt64()
        let reader = try openReader(transformer: transformer, skip: skip, seed: seed)
        filler = BatchFiller(reader: reader, batchSize: batchSize, seed: seed, shard: feed.shard)
        self.transformer = transformer
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        if let filler {
            try top[0].reshape(filler.reader.exampleShape.batch(batchSize))
        } else if let givenShape {
            notes.append("'\(param.top[0])' given the shape \(Blob.describe(givenShape)) "
                         + "(\(source.kind) '\(source.path)' not read)")
            try top[0].reshape(givenShape)
        } else {
            do {
                let (shape, origin) = try assumedExampleShape()
                notes.append("'\(param.top[0])' assumed \(shape) from \(origin) "
                             + "(\(source.kind) '\(source.path)' not found)")
                try top[0].reshape(shape.batch(batchSize))
            } catch let error as SwiftCaffeError where mayLeaveShapeUnknown {
                shapeIsUnknown = true
                notes.append(error.message)
            }
        }
        // The label: one per example.
        if top.count > 1 { try top[1].reshape([givenShape?.first ?? batchSize]) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let filler else {
            throw shapeError("the \(source.kind) '\(source.path)' was not opened")
        }
        // data: N × C × H × W, label: N.
        try feed.forward(top: top, layer: name) { position in
            try filler.seek(to: position)
            return { slot in try filler.fill(data: slot.data, labels: slot.labels) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}

    public func seek(toExample position: Int64) throws {
        feed.seek(to: position)
    }

    /// 10-crop testing (`TenCrop`): from the next forward on, every batch is handed out in
    /// ten forward passes — pass v holds patch v (4 corners, centre, then their mirrors) of
    /// each of its examples, the labels every time — and only then does the layer move on
    /// to the next batch. The examples are read and decoded once. Needs crop_size.
    public func useTenCrops() throws {
        guard param.transformParam.cropSize > 0 else {
            throw SwiftCaffeError.invalid("transform_param.crop_size",
                "10-crop testing cuts crop_size patches, and this data layer has no crop_size",
                hint: "set transform_param { crop_size: … } smaller than the stored images (e.g. 227 of 256), "
                    + "or test without --oversample")
        }
        guard let filler, let transformer else {
            throw shapeError("the \(source.kind) '\(source.path)' was not opened")
        }
        // Stops the prefetch thread before the reader's transform changes.
        feed.seek(to: feed.nextExample, viewsPerExample: TenCrop.count)
        filler.viewsPerExample = TenCrop.count
        transformer.tenCrop = true
        givesTenCrops = true
    }
}
