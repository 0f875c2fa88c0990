import CaffeProto

/// Maps Caffe's layer type strings ("Convolution", "ReLU", …) to layer classes.
///
/// Adding a layer: write one file with a `Layer` subclass, add one line to
/// `builtIn` below, add one test file.
public struct LayerRegistry {
    private var classes: [String: Layer.Type] = [:]

    public init() {}

    /// The registry nets use unless told otherwise. Tests may register extra layers.
    nonisolated(unsafe) public static var shared = LayerRegistry.builtIn

    public static var builtIn: LayerRegistry {
        var r = LayerRegistry()
        // Data and inputs
        r.register("Input", InputLayer.self)
        r.register("DummyData", DummyDataLayer.self)
        r.register("Data", DataLayer.self)
        r.register("ImageData", ImageDataLayer.self)
        r.register("MemoryData", MemoryDataLayer.self)
        // Vision
        r.register("Convolution", ConvolutionLayer.self)
        r.register("Pooling", PoolingLayer.self)
        r.register("LRN", LRNLayer.self)
        // Common
        r.register("InnerProduct", InnerProductLayer.self)
        r.register("Dropout", DropoutLayer.self)
        r.register("Softmax", SoftmaxLayer.self)
        // Neurons (element-wise)
        r.register("ReLU", ReLULayer.self)
        r.register("Sigmoid", SigmoidLayer.self)
        r.register("TanH", TanHLayer.self)
        r.register("ELU", ELULayer.self)
        r.register("PReLU", PReLULayer.self)
        r.register("AbsVal", AbsValLayer.self)
        r.register("Power", PowerLayer.self)
        // Normalization
        r.register("BatchNorm", BatchNormLayer.self)
        r.register("Scale", ScaleLayer.self)
        r.register("Bias", BiasLayer.self)
        // Losses and metrics
        r.register("SoftmaxWithLoss", SoftmaxWithLossLayer.self)
        r.register("EuclideanLoss", EuclideanLossLayer.self)
        r.register("Accuracy", AccuracyLayer.self)
        // Structure
        r.register("Split", SplitLayer.self)
        r.register("Concat", ConcatLayer.self)
        r.register("Slice", SliceLayer.self)
        r.register("Eltwise", EltwiseLayer.self)
        r.register("Flatten", FlattenLayer.self)
        r.register("Reshape", ReshapeLayer.self)
        r.register("Silence", SilenceLayer.self)
        return r
    }

    public mutating func register(_ type: String, _ layerClass: Layer.Type) {
        classes[type] = layerClass
    }

    /// Every registered type string, sorted.
    public var types: [String] { classes.keys.sorted() }

    public func contains(_ type: String) -> Bool { classes[type] != nil }

    /// Creates the layer for `param.type`; an unknown type lists the registered ones.
    public func makeLayer(_ param: Caffe_LayerParameter) throws -> Layer {
        guard let layerClass = classes[param.type] else {
            let known = types
            var hint = "registered types: " + known.joined(separator: ", ")
            if let guess = Suggest.didYouMean(param.type, among: known) { hint = guess + " " + hint }
            let what = param.type.isEmpty ? "layer has no type" : "unknown layer type '\(param.type)'"
            throw SwiftCaffeError(.semantic, what, layer: param.name, field: "type", hint: hint)
        }
        return try layerClass.init(param: param)
    }
}
