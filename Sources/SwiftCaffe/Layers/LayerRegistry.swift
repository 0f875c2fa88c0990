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

    /// A built-in layer type: its class, the group `swiftcaffe layers` lists it under,
    /// and a one-line description.
    public struct BuiltInLayer: Sendable {
        public let type: String
        public let layerClass: Layer.Type
        public let group: String
        public let summary: String
    }

    /// The built-in types in registration order, one line each, under their group.
    /// A type listed twice is a mistake in this list (a test checks there is none);
    /// `builtIn` would keep the first.
    public static let builtInLayers: [BuiltInLayer] = [
        group("Data and inputs", [
            ("Input", InputLayer.self, "blobs of given shapes, filled by the caller (deploy nets)"),
            ("DummyData", DummyDataLayer.self, "blobs of given shapes, filled by fillers (constant, gaussian …)"),
            ("Data", DataLayer.self, "Datum records from an LMDB, transformed (crop, mirror, mean, scale)"),
            ("ImageData", ImageDataLayer.self, "images listed with their labels in a text file"),
            ("MemoryData", MemoryDataLayer.self, "batches handed over from memory by the caller"),
            ("HDF5Data", HDF5DataLayer.self, "datasets of HDF5 files named in a list file, one top per dataset"),
            ("HDF5Output", HDF5OutputLayer.self, "writes its data and label bottoms to an HDF5 file"),
            ("WindowData", WindowDataLayer.self, "R-CNN windows of images from a window file, warped to crop_size"),
        ]),
        group("Vision", [
            ("Convolution", ConvolutionLayer.self, "2-D (or N-D) convolution with groups, stride, padding, dilation"),
            ("Pooling", PoolingLayer.self, "max, average or stochastic pooling over windows"),
            ("LRN", LRNLayer.self, "local response normalization across or within channels"),
            ("Deconvolution", DeconvolutionLayer.self, "transposed convolution (learned upsampling, as in FCN)"),
            ("Crop", CropLayer.self, "crops a blob to the shape of another from an offset"),
            ("SPP", SPPLayer.self, "spatial pyramid pooling to a fixed-length vector"),
            ("Im2col", Im2colLayer.self, "unfolds convolution windows into columns"),
        ]),
        group("Common", [
            ("InnerProduct", InnerProductLayer.self, "fully connected: y = W·x + b"),
            ("Dropout", DropoutLayer.self, "zeroes values at random while training, scales the rest"),
            ("Softmax", SoftmaxLayer.self, "normalized exponentials along an axis"),
        ]),
        group("Neurons (element-wise)", [
            ("ReLU", ReLULayer.self, "max(0, x), or leaky with negative_slope"),
            ("Sigmoid", SigmoidLayer.self, "1 / (1 + e^-x)"),
            ("TanH", TanHLayer.self, "tanh(x)"),
            ("ELU", ELULayer.self, "x for x > 0, alpha·(e^x − 1) otherwise"),
            ("PReLU", PReLULayer.self, "ReLU with a learned negative slope per channel"),
            ("AbsVal", AbsValLayer.self, "|x|"),
            ("Power", PowerLayer.self, "(shift + scale·x)^power"),
            ("BNLL", BNLLLayer.self, "log(1 + e^x)"),
            ("Exp", ExpLayer.self, "base^(shift + scale·x)"),
            ("Log", LogLayer.self, "log_base(shift + scale·x)"),
            ("Threshold", ThresholdLayer.self, "1 where x > threshold, 0 elsewhere"),
            ("Clip", ClipLayer.self, "x clipped to [min, max]"),
            ("Swish", SwishLayer.self, "x · sigmoid(beta·x)"),
        ]),
        group("Normalization", [
            ("BatchNorm", BatchNormLayer.self, "normalizes by batch (or stored) mean and variance"),
            ("Scale", ScaleLayer.self, "multiplies by a learned or given blob, broadcast along axes"),
            ("Bias", BiasLayer.self, "adds a learned or given blob, broadcast along axes"),
            ("MVN", MVNLayer.self, "mean-variance normalization per example (or channel)"),
        ]),
        group("Losses and metrics", [
            ("SoftmaxWithLoss", SoftmaxWithLossLayer.self, "softmax then multinomial logistic loss over labels"),
            ("EuclideanLoss", EuclideanLossLayer.self, "sum of squared differences / 2N"),
            ("Accuracy", AccuracyLayer.self, "top-k classification accuracy (no backward)"),
            ("SigmoidCrossEntropyLoss", SigmoidCrossEntropyLossLayer.self, "sigmoid then cross-entropy with 0/1 targets"),
            ("ContrastiveLoss", ContrastiveLossLayer.self, "siamese loss on pair distances with a margin"),
            ("HingeLoss", HingeLossLayer.self, "one-versus-all hinge loss (L1 or L2)"),
            ("MultinomialLogisticLoss", MultinomialLogisticLossLayer.self, "−log of the probability of the label"),
            ("InfogainLoss", InfogainLossLayer.self, "multinomial logistic loss weighted by an infogain matrix"),
        ]),
        group("Structure", [
            ("Split", SplitLayer.self, "copies a blob to several tops (gradients summed)"),
            ("Concat", ConcatLayer.self, "joins blobs along an axis"),
            ("Slice", SliceLayer.self, "cuts a blob along an axis into several"),
            ("Eltwise", EltwiseLayer.self, "element-wise sum (with coefficients), product or max"),
            ("Flatten", FlattenLayer.self, "merges a range of axes into one"),
            ("Reshape", ReshapeLayer.self, "a new shape for the same values"),
            ("Silence", SilenceLayer.self, "consumes blobs so they are not net outputs"),
        ]),
        group("Utility", [
            ("ArgMax", ArgMaxLayer.self, "indices (and values) of the top_k largest values"),
            ("Tile", TileLayer.self, "repeats a blob along an axis"),
            ("Reduction", ReductionLayer.self, "sum, absolute sum, sum of squares or mean over trailing axes"),
            ("Embed", EmbedLayer.self, "looks up learned vectors by integer index"),
            ("Filter", FilterLayer.self, "keeps the examples whose selector is non-zero"),
            ("BatchReindex", BatchReindexLayer.self, "picks examples of the batch by index"),
            ("Parameter", ParameterLayer.self, "a learned blob as a top"),
        ]),
        group("Recurrent", [
            ("RNN", RNNLayer.self, "simple recurrent net over T time steps, with sequence-continuation flags"),
            ("LSTM", LSTMLayer.self, "long short-term memory over T time steps, with sequence-continuation flags"),
            ("LSTMUnit", LSTMUnitLayer.self, "one LSTM time step: gates to cell and hidden state"),
        ]),
    ].flatMap { $0 }

    /// One group's entries, written one line per layer above.
    private static func group(_ name: String, _ entries: [(String, Layer.Type, String)]) -> [BuiltInLayer] {
        entries.map { BuiltInLayer(type: $0.0, layerClass: $0.1, group: name, summary: $0.2) }
    }

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
                + "; run 'swiftcaffe layers' for the list with descriptions"
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
