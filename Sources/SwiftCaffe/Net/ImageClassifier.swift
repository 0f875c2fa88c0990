import CaffeProto
import Foundation

/// How `ImageClassifier` prepares an image, after Caffe's `python/classify.py`.
public struct ClassifierOptions {
    /// A mean image (`.binaryproto`): images are resized to its size and each patch has
    /// the mean's pixels at the same place subtracted, as Caffe's DataTransformer does.
    public var meanFile: String?
    /// Or one value for all channels, or one per channel (in B, G, R order).
    public var meanValues: [Float] = []
    /// Multiplies after the mean is subtracted (transform_param's `scale`: 0.00390625 for
    /// nets trained on MNIST-style 1/256 inputs).
    public var scale: Float = 1
    /// The size images are resized to before cropping; nil: the mean file's, else
    /// 256 × 256 as classify.py (or the net's input when that is larger).
    public var imageDims: (height: Int, width: Int)?
    /// Average the softmax over the ten patches (4 corners + centre, and their mirrors)
    /// instead of classifying the centre patch alone.
    public var oversample = false
    /// The blob holding the class scores; nil: the net's first output.
    public var output: String?

    public init() {}
}

/// Classifies images with a deploy net, as Caffe's `Classifier` (python/classify.py):
/// decode (B, G, R, 0–255, or gray for a one-channel net), resize to the image size
/// (bilinear, `Image8.resized`), cut the centre patch or the ten patches of the net's
/// input size, subtract the mean, scale, forward the patches as one batch, and take the
/// softmax of the scores of each patch (the output itself when a Softmax layer made it),
/// averaged over the patches.
///
/// The net's input is its `Input` layer (deploy files' `input`/`input_dim` are upgraded to
/// one); its batch size is replaced by the number of patches.
public final class ImageClassifier {
    public let net: Net
    public let inputName: String
    /// One patch: the net's input channels × height × width.
    public let patchShape: ExampleShape
    /// The size images are resized to.
    public let imageHeight: Int
    public let imageWidth: Int
    /// The patches of one image: the centre one, or the ten.
    public let windows: [CropWindow]
    public let outputName: String
    /// The output holds probabilities (a Softmax layer wrote it); otherwise classify
    /// takes their softmax.
    public let outputIsProbability: Bool
    public let classCount: Int
    private let transformer: DataTransformer
    private let input: Blob
    private let output: Blob

    /// Builds `definition` (phase TEST) with a batch of one image's patches and loads `weights`.
    public init(definition: NetDefinition, weights: String, options: ClassifierOptions) throws {
        var definition = definition
        let inputs = definition.param.layer.indices.filter { definition.param.layer[$0].type == "Input" }
        guard let inputIndex = inputs.first else {
            let data = definition.param.layer.first { $0.bottom.isEmpty }
            throw SwiftCaffeError(.usage,
                "classify needs a deploy net whose input is an Input layer (or input/input_dim), "
                    + "and net '\(definition.param.name)' has none"
                    + (data.map { " (its first layer '\($0.name)' is a \($0.type) layer)" } ?? ""),
                hint: "use the net's deploy.prototxt; to score a dataset use 'swiftcaffe test --model TRAIN_VAL'")
        }
        var layer = definition.param.layer[inputIndex]
        guard inputs.count == 1, layer.top.count == 1, layer.inputParam.shape.count == 1,
              layer.inputParam.shape[0].dim.count == 4 else {
            let shapes = layer.inputParam.shape.map { Blob.describe($0.dim.map { Int($0) }) }.joined(separator: ", ")
            let declared = inputs.count == 1 ? "inputs \(layer.top) of shape(s) \(shapes)" : "\(inputs.count) Input layers"
            throw SwiftCaffeError(.usage,
                "classify needs one image input N x C x H x W; net '\(definition.param.name)' declares \(declared)",
                hint: "classify images with a net that takes one 4-axis image blob")
        }
        let dims = layer.inputParam.shape[0].dim.map { Int($0) }
        let patch = ExampleShape(channels: dims[1], height: dims[2], width: dims[3])
        guard patch.channels == 1 || patch.channels == 3, patch.height > 0, patch.width > 0 else {
            throw SwiftCaffeError(.usage, "the net's input '\(layer.top[0])' is \(Blob.describe(dims)); classify "
                                  + "decodes images in colour (3 channels) or gray (1)")
        }
        let transformParam = try Self.transformParam(options)
        let mean = try transformParam.hasMeanFile ? MeanFile(path: transformParam.meanFile) : nil
        let (height, width) = options.imageDims ?? mean.map { ($0.shape.height, $0.shape.width) }
            ?? (max(256, patch.height), max(256, patch.width))
        guard height >= patch.height, width >= patch.width else {
            throw SwiftCaffeError(.usage,
                "the net's input is \(patch.height)x\(patch.width) but images are resized to \(height)x\(width) "
                    + (options.imageDims != nil ? "(--image-dims)" : "(the mean file's size)"),
                hint: "resize the images at least to the input size: --image-dims \(patch.height),\(patch.width)")
        }
        if let mean {
            guard mean.shape == ExampleShape(channels: patch.channels, height: height, width: width) else {
                throw SwiftCaffeError(.usage,
                    "the mean file '\(mean.path)' is \(mean.shape) but the images are "
                        + "\(patch.channels)x\(height)x\(width) (the net's \(patch.channels) channel(s), resized "
                        + "to \(height)x\(width))",
                    hint: "drop --image-dims to resize to the mean's size, or give its per-channel means instead: "
                        + "--mean_value " + mean.channelMeans.map { String(format: "%.3f", $0) }.joined(separator: ","))
            }
        }
        if !options.meanValues.isEmpty && options.meanValues.count != 1 && options.meanValues.count != patch.channels {
            throw SwiftCaffeError(.usage, "\(options.meanValues.count) --mean_value values for a net with "
                                  + "\(patch.channels) input channel(s)",
                                  hint: "give one value for all channels or one per channel (B, G, R)")
        }

        let windows = options.oversample
            ? TenCrop.windows(imageHeight: height, imageWidth: width, cropHeight: patch.height, cropWidth: patch.width)
            : [TenCrop.window(TenCrop.centre, imageHeight: height, imageWidth: width,
                              cropHeight: patch.height, cropWidth: patch.width)]
        layer.inputParam.shape[0].dim[0] = Int64(windows.count)
        definition.param.layer[inputIndex] = layer
        let net = try NetBuilder.build(definition, options: NetBuildOptions(phase: .test))
        let copied = try net.copyTrainedLayers(from: Net.readWeights(weights), source: "'\(weights)'")
        if copied.isEmpty && net.parameterCount > 0 {
            throw SwiftCaffeError(.semantic,
                "no layer of '\(weights)' matches a layer of net '\(net.name)' by name: the net would classify with "
                    + "untrained weights",
                hint: "give the .caffemodel trained with this net (layers are matched by name)")
        }
        let outputID: Int
        if let name = options.output {
            guard let id = net.blobNames.firstIndex(of: name) else {
                throw SwiftCaffeError(.usage, "the net has no blob '\(name)' (--output)",
                                      hint: "its outputs are " + net.outputNames.map { "'\($0)'" }.joined(separator: ", "))
            }
            outputID = id
        } else {
            guard let id = net.outputIDs.first else {
                throw SwiftCaffeError(.semantic, "net '\(net.name)' has no output blob to read class scores from")
            }
            outputID = id
        }
        let output = net.blobs[outputID]
        guard output.numAxes >= 2, output.dim(0) == windows.count, output.count / windows.count > 1 else {
            throw SwiftCaffeError(.usage,
                "'\(net.blobNames[outputID])' is \(output.shapeString), not class scores (patches x classes)",
                hint: "name the blob of class scores or probabilities with --output")
        }
        let producer = net.layers.indices.last { net.topIDs[$0].contains(outputID) }
        outputIsProbability = producer.map { net.layers[$0].type == "Softmax" } ?? false
        classCount = output.count / windows.count
        outputName = net.blobNames[outputID]
        self.output = output
        self.windows = windows
        self.net = net
        guard let input = net.blob(named: layer.top[0]) else {
            throw SwiftCaffeError(.semantic, "net '\(net.name)' has no blob '\(layer.top[0])' for its input")
        }
        inputName = layer.top[0]
        self.input = input
        patchShape = patch
        (imageHeight, imageWidth) = (height, width)
        transformer = try DataTransformer(param: transformParam, phase: .test)
    }

    private static func transformParam(_ options: ClassifierOptions) throws -> Caffe_TransformationParameter {
        var param = Caffe_TransformationParameter()
        if let meanFile = options.meanFile {
            guard options.meanValues.isEmpty else {
                throw SwiftCaffeError(.usage, "--mean and --mean_value are both given",
                                      hint: "give the mean image (--mean) or per-channel values (--mean_value), not both")
            }
            param.meanFile = meanFile
        }
        param.meanValue = options.meanValues
        guard options.scale.isFinite, options.scale != 0 else {
            throw SwiftCaffeError(.usage, "--scale must be a finite, non-zero number (got \(options.scale))")
        }
        param.scale = options.scale
        return param
    }

    /// Reads and decodes the image at `path` with the net's channels (B, G, R or gray).
    public func loadImage(_ path: String) throws -> Image8 {
        let bytes = try InputFile.read(path, what: "image", hint: "give the path of a JPEG or PNG file")
        return try bytes.withUnsafeBytes {
            try ImageCodec.decode($0, mode: patchShape.channels == 3 ? .color : .gray, source: path)
        }
    }

    /// The class probabilities of `image`: the mean over its patches.
    public func classify(_ image: Image8, source: String) throws -> [Float] {
        let decoded = image.converted(to: patchShape.channels == 3 ? .color : .gray)
        let resized = decoded.resized(height: imageHeight, width: imageWidth)
        let perPatch = patchShape.count
        try resized.pixels.withUnsafeBufferPointer { pixels in
            for (v, window) in windows.enumerated() {
                try transformer.transform(bytes: pixels, shape: resized.shape, window: window,
                                          into: input.data + v * perPatch, source: "'\(source)'")
            }
        }
        try net.forward()
        var mean = [Float](repeating: 0, count: classCount)
        let values = output.data
        for v in windows.indices {
            let scores = values + v * classCount
            if outputIsProbability {
                for k in 0..<classCount { mean[k] += scores[k] }
            } else {
                var largest = -Float.infinity
                for k in 0..<classCount { largest = max(largest, scores[k]) }
                var total: Float = 0
                for k in 0..<classCount { total += exp(scores[k] - largest) }
                for k in 0..<classCount { mean[k] += exp(scores[k] - largest) / total }
            }
        }
        return mean.map { $0 / Float(windows.count) }
    }

    /// The `k` most probable classes, most probable first (ties: the lower index first).
    public static func top(_ k: Int, of probabilities: [Float]) -> [(index: Int, probability: Float)] {
        let ranked = probabilities.indices.sorted {
            probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1
        }
        return ranked.prefix(max(0, k)).map { ($0, probabilities[$0]) }
    }

    /// The labels of a labels file: one per line, in class order (e.g. Caffe's
    /// synset_words.txt, "n01440764 tench, Tinca tinca"); there must be one per class.
    public func readLabels(_ path: String) throws -> [String] {
        let bytes = try InputFile.read(path, what: "labels file",
                                       hint: "give a text file with one label per line, in class order")
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count == classCount else {
            throw SwiftCaffeError(.usage,
                "the labels file '\(path)' has \(lines.count) line(s) but '\(outputName)' scores \(classCount) classes",
                hint: "give one label per line for each of the \(classCount) classes, in class order")
        }
        return lines
    }
}
