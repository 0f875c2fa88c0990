import CaffeProto

/// Maps Caffe's layer type strings ("Convolution", "ReLU", …) to layer classes.
///
/// A value, not global state: nets use `NetBuildOptions.registry`, `builtIn` unless
/// told otherwise. Adding a layer to SwiftCaffe: write one file with a `Layer`
/// subclass, add one line to `builtInLayers` below, add one test file. Adding one of
/// your own: `var registry = LayerRegistry.builtIn; try registry.register("Mine",
/// MyLayer.self)` and pass `registry` in the build options.
public struct LayerRegistry: Sendable {
    private var classes: [String: Layer.Type] = [:]

    /// An empty registry.
    public init() {}

    /// Every layer type SwiftCaffe implements, built once.
    public static let builtIn = LayerRegistry(
        classes: Dictionary(builtInLayers.map { ($0.type, $0.layerClass) }, uniquingKeysWith: { first, _ in first }))

    /// The built-in types in registration order. A type listed twice is a mistake in
    /// this list (a test checks there is none); `builtIn` would keep the first.
    static let builtInLayers: [(type: String, layerClass: Layer.Type)] = [
        // Data and inputs
        ("Input", InputLayer.self),
        ("DummyData", DummyDataLayer.self),
        ("Data", DataLayer.self),
        ("ImageData", ImageDataLayer.self),
        ("MemoryData", MemoryDataLayer.self),
        // Vision
        ("Convolution", ConvolutionLayer.self),
        ("Pooling", PoolingLayer.self),
        ("LRN", LRNLayer.self),
        // Common
        ("InnerProduct", InnerProductLayer.self),
        ("Dropout", DropoutLayer.self),
        ("Softmax", SoftmaxLayer.self),
        // Neurons (element-wise)
        ("ReLU", ReLULayer.self),
        ("Sigmoid", SigmoidLayer.self),
        ("TanH", TanHLayer.self),
        ("ELU", ELULayer.self),
        ("PReLU", PReLULayer.self),
        ("AbsVal", AbsValLayer.self),
        ("Power", PowerLayer.self),
        // Normalization
        ("BatchNorm", BatchNormLayer.self),
        ("Scale", ScaleLayer.self),
        ("Bias", BiasLayer.self),
        // Losses and metrics
        ("SoftmaxWithLoss", SoftmaxWithLossLayer.self),
        ("EuclideanLoss", EuclideanLossLayer.self),
        ("Accuracy", AccuracyLayer.self),
        // Structure
        ("Split", SplitLayer.self),
        ("Concat", ConcatLayer.self),
        ("Slice", SliceLayer.self),
        ("Eltwise", EltwiseLayer.self),
        ("Flatten", FlattenLayer.self),
        ("Reshape", ReshapeLayer.self),
        ("Silence", SilenceLayer.self),
        // Neurons (element-wise), the rest of Caffe's
        ("BNLL", BNLLLayer.self),
        ("Exp", ExpLayer.self),
        ("Log", LogLayer.self),
        ("Threshold", ThresholdLayer.self),
        ("Clip", ClipLayer.self),
        ("Swish", SwishLayer.self),
        // Utility (issue #14)
        ("ArgMax", ArgMaxLayer.self),
        ("Tile", TileLayer.self),
        ("Reduction", ReductionLayer.self),
        ("MVN", MVNLayer.self),
        ("Embed", EmbedLayer.self),
        ("Filter", FilterLayer.self),
        ("BatchReindex", BatchReindexLayer.self),
        ("Parameter", ParameterLayer.self),
        // Losses (the rest of Caffe's loss layers)
        ("SigmoidCrossEntropyLoss", SigmoidCrossEntropyLossLayer.self),
        ("ContrastiveLoss", ContrastiveLossLayer.self),
        ("HingeLoss", HingeLossLayer.self),
        ("MultinomialLogisticLoss", MultinomialLogisticLossLayer.self),
        ("InfogainLoss", InfogainLossLayer.self),
        // Vision, the rest of Caffe's zoo (issue #14)
        ("Deconvolution", DeconvolutionLayer.self),
        ("Crop", CropLayer.self),
        ("SPP", SPPLayer.self),
        ("Im2col", Im2colLayer.self),
    ]

    private init(classes: [String: Layer.Type]) {
        self.classes = classes
    }

    /// Adds a layer type; a type that is already registered is an error (a second
    /// class for the same name would silently replace the first).
    public mutating func register(_ type: String, _ layerClass: Layer.Type) throws {
        if let existing = classes[type] {
            throw SwiftCaffeError(.semantic, "layer type '\(type)' is already registered (as \(existing))",
                                  hint: "give the new layer a type name of its own")
        }
        classes[type] = layerClass
    }

    /// Every registered type string, sorted.
    public var types: [String] { classes.keys.sorted() }

    public func contains(_ type: String) -> Bool { classes[type] != nil }

    /// Creates the layer for `param.type`; an unknown type lists the registered ones.
    /// Errors from the layer's `init` (its parameters) carry the layer's name.
    public func makeLayer(_ param: Caffe_LayerParameter) throws -> Layer {
        guard let layerClass = classes[param.type] else {
            let known = types
            var hint = "registered types: " + known.joined(separator: ", ")
            if let guess = Suggest.didYouMean(param.type, among: known) { hint = guess + " " + hint }
            let what = param.type.isEmpty ? "layer has no type" : "unknown layer type '\(param.type)'"
            throw SwiftCaffeError.invalid("type", what, hint: hint).inLayer(param.name, at: nil)
        }
        do {
            return try layerClass.init(param: param)
        } catch let error as SwiftCaffeError {
            throw param.name.isEmpty ? error : error.inLayer(param.name, at: nil)
        }
    }
}
