import ArgumentParser
import Foundation
import SwiftCaffe

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Top-K classes of images with a trained deploy net, centre crop or 10 crops.",
        discussion: """
            Like Caffe's python/classify.py: each image is decoded (B, G, R, 0-255; gray for a \
            one-channel net), resized to the mean file's size or --image-dims (default 256,256), \
            cut to the net's input size — the centre patch, or with --oversample the four \
            corners, the centre and their mirrors — the mean subtracted (a mean image at the \
            same pixels, or --mean_value per channel), multiplied by --scale, and run forward; \
            the softmax of the scores (the output itself when a Softmax layer made it) is \
            averaged over the patches.

            Example: swiftcaffe classify --model models/bvlc_reference_caffenet/deploy.prototxt \
            --weights caffenet.caffemodel --mean imagenet_mean.binaryproto --labels synset_words.txt \
            --oversample cat.jpg
            """
    )

    @Option(help: "The deploy net (.prototxt) with an Input layer or input/input_dim.")
    var model: String

    @Option(help: "The trained weights (.caffemodel).")
    var weights: String

    @Option(help: "A mean image (.binaryproto): images are resized to its size and it is subtracted pixel by pixel.")
    var mean: String?

    @Option(name: .customLong("mean_value"),
            help: ArgumentHelp("Per-channel mean (B,G,R), or one value for all channels; comma-separated or repeated.",
                               valueName: "values"))
    var meanValue: [String] = []

    @Option(help: "Multiply the mean-subtracted pixels by this (e.g. 0.00390625 for nets trained on 1/256 inputs).")
    var scale: Float = 1

    @Option(name: .customLong("image-dims"),
            help: ArgumentHelp("Resize images to H,W before cropping (default: the mean's size, else 256,256).",
                               valueName: "H,W"))
    var imageDims: String?

    @Option(help: "A text file with one label per line, in class order (e.g. synset_words.txt).")
    var labels: String?

    @Option(help: "How many classes to show per image.")
    var top: Int = 5

    @Flag(help: "Average the softmax over 10 crops: 4 corners + centre, and their mirrors.")
    var oversample = false

    @Flag(name: .customLong("center-only"), help: "Classify the centre crop only (the default).")
    var centerOnly = false

    @Option(help: "The blob of class scores or probabilities (default: the net's first output).")
    var output: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "JPEG or PNG images.")
    var images: [String] = []

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image to classify") }
        guard top > 0 else { throw ValidationError("--top must be positive") }
        guard !(oversample && centerOnly) else {
            throw ValidationError("--oversample and --center-only exclude each other: pick one")
        }
        _ = try parsedMeanValues()
        _ = try parsedImageDims()
    }

    private func parsedMeanValues() throws -> [Float] {
        try meanValue.flatMap { $0.split(separator: ",") }.map { part in
            guard let value = Float(part.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw ValidationError("--mean_value expects numbers such as 104,117,123 (got '\(part)')")
            }
            return value
        }
    }

    private func parsedImageDims() throws -> (height: Int, width: Int)? {
        guard let imageDims else { return nil }
        let parts = imageDims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
            throw ValidationError("--image-dims expects H,W such as 256,256 (got '\(imageDims)')")
        }
        return (parts[0], parts[1])
    }

    func run() throws {
        // Every named file first, so a typo is reported before the net is built.
        for image in images where !FileManager.default.fileExists(atPath: image) {
            throw SwiftCaffeError(.io, "the image '\(image)' does not exist", hint: "give the paths of JPEG or PNG files")
        }
        if let labels, !FileManager.default.fileExists(atPath: labels) {
            throw SwiftCaffeError(.io, "the labels file '\(labels)' does not exist",
                                  hint: "give a text file with one label per line, in class order, or leave out --labels")
        }
        var options = ClassifierOptions()
        options.meanFile = mean
        options.meanValues = try parsedMeanValues()
        options.scale = scale
        options.imageDims = try parsedImageDims()
        options.oversample = oversample
        options.output = output
        let classifier = try ImageClassifier(definition: try NetDefinition.load(path: model), weights: weights,
                                             options: options)
        let names = try labels.map { try classifier.readLabels($0) }

        var results: [ImageResult] = []
        for path in images {
            let probabilities = try classifier.classify(try classifier.loadImage(path), source: path)
            let best = ImageClassifier.top(top, of: probabilities).enumerated().map { rank, entry in
                Prediction(rank: rank + 1, classIndex: entry.index, label: names?[entry.index],
                           probability: entry.probability)
            }
            results.append(ImageResult(image: path, predictions: best))
        }
        if json {
            try printJSON(classifier, results)
        } else {
            printText(classifier, results)
        }
    }

    struct Prediction: Encodable {
        let rank: Int
        let classIndex: Int
        let label: String?
        let probability: Float

        enum CodingKeys: String, CodingKey { case rank, classIndex = "class", label, probability }
    }

    struct ImageResult: Encodable {
        let image: String
        let predictions: [Prediction]
    }

    private func patches(_ classifier: ImageClassifier) -> String {
        let patch = "\(classifier.patchShape.height)x\(classifier.patchShape.width)"
        let image = "\(classifier.imageHeight)x\(classifier.imageWidth)"
        return classifier.windows.count == 1 ? "centre \(patch) crop of \(image)"
                                             : "10 crops \(patch) of \(image), averaged"
    }

    private func printText(_ classifier: ImageClassifier, _ results: [ImageResult]) {
        let source = classifier.outputIsProbability ? "'\(classifier.outputName)'"
                                                    : "softmax of '\(classifier.outputName)'"
        print("Classifying \(images.count) image(s) with '\(model)': \(patches(classifier)); \(source), "
              + "\(classifier.classCount) classes")
        for result in results {
            print("\(result.image):")
            for p in result.predictions {
                let label = p.label.map { "  \($0)" } ?? ""
                print(String(format: "  %2d. %.4f  class %d", p.rank, p.probability, p.classIndex) + label)
            }
        }
    }

    private func printJSON(_ classifier: ImageClassifier, _ results: [ImageResult]) throws {
        struct Report: Encodable {
            let model: String
            let weights: String
            let output: String
            let classes: Int
            let crops: Int
            let imageSize: [Int]
            let cropSize: [Int]
            let images: [ImageResult]

            enum CodingKeys: String, CodingKey {
                case model, weights, output, classes, crops, imageSize = "image_size", cropSize = "crop_size", images
            }
        }
        let report = Report(model: model, weights: weights, output: classifier.outputName,
                            classes: classifier.classCount, crops: classifier.windows.count,
                            imageSize: [classifier.imageHeight, classifier.imageWidth],
                            cropSize: [classifier.patchShape.height, classifier.patchShape.width], images: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
