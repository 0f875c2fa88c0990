import CaffeProto
import Foundation

/// Reads the images an ImageData layer's list names: the layer's reader. Used by one
/// thread at a time (the prefetch thread, after the layer's setup).
///
/// Example number k (counted from the layer's start, across epochs) is entry
/// (skip + k) mod n of epoch (skip + k) / n, where n is the list's length — Caffe's
/// order, in which `rand_skip` only shortens the first epoch. With `shuffle` each
/// epoch has its own permutation, seeded from (seed, epoch): like the examples' random
/// choices, the order is a function of the position alone.
final class ImageListReader: ExampleReader {
    /// The list file, as the layer names it (errors point at its lines).
    let listFile: String
    var exampleShape: ExampleShape { expected.shape }
    private let expected: ExpectedExample
    private let entries: [ImageList.Entry]
    /// root_folder, with a "/" so that "images" and "images/" both work.
    private let prefix: String
    /// is_color: three channels B, G, R, or one of luma.
    private let mode: ImageColorMode
    /// new_height × new_width (both 0: each image keeps its size), as convert-imageset resizes.
    private let newHeight: Int
    private let newWidth: Int
    private let transformer: DataTransformer
    private let shuffle: Bool
    private let seed: UInt64
    private let skip: Int64
    /// The order of `orderEpoch` (the list itself when not shuffling).
    private var order: [ImageList.Entry]
    private var orderEpoch: Int64 = 0

    /// Reads the list and the first example's image, which fixes the shape. Errors about
    /// the list name the field `image_data_param.source`.
    init(param: Caffe_ImageDataParameter, transformer: DataTransformer, seed: UInt64, skip: Int) throws {
        listFile = param.source
        self.transformer = transformer
        self.seed = seed
        self.skip = Int64(skip)
        shuffle = param.shuffle
        prefix = ImageList.prefix(root: param.rootFolder)
        mode = param.isColor ? .color : .gray
        newHeight = Int(param.newHeight)
        newWidth = Int(param.newWidth)

        let entries: [ImageList.Entry]
        do {
            entries = try ImageList.read(path: listFile)
        } catch var error as SwiftCaffeError {
            // A missing or unreadable list is the field's fault; a bad line keeps its own position.
            if error.location == nil { error.field = "image_data_param.source" }
            throw error
        }
        guard !entries.isEmpty else {
            throw SwiftCaffeError.invalid("image_data_param.source", "the list file '\(listFile)' lists no images",
                                          hint: ImageList.hint)
        }
        self.entries = entries
        // The first example fixes the shape (Caffe's ImageDataLayer::DataLayerSetUp); a
        // rand_skip beyond the list's end lands in a later epoch.
        let (epoch, index) = self.skip.quotientAndRemainder(dividingBy: Int64(entries.count))
        order = shuffle ? ImageList.shuffled(entries, seed: Self.shuffleSeed(seed, epoch: epoch)) : entries
        orderEpoch = epoch
        let (firstImage, image) = try Self.load(order[Int(index)], prefix: prefix, listFile: listFile, mode: mode,
                                                newHeight: newHeight, newWidth: newWidth)
        expected = ExpectedExample(
            shape: try transformer.outputShape(of: image.shape, source: "'\(firstImage)'"),
            origin: "the first image '\(firstImage)'",
            hint: "give every image one size with image_data_param new_height and new_width, or set "
                + "transform_param crop_size no larger than the smallest image")
    }

    /// The permutation seed of `epoch`: independent of the per-example transform seeds.
    private static func shuffleSeed(_ seed: UInt64, epoch: Int64) -> UInt64 {
        (seed ^ 0x5851_F42D_4C95_7F2D) &+ UInt64(bitPattern: epoch) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Reads, decodes and resizes the image of `entry`; returns its path and the image.
    private static func load(_ entry: ImageList.Entry, prefix: String, listFile: String, mode: ImageColorMode,
                             newHeight: Int, newWidth: Int) throws -> (path: String, image: Image8) {
        let (path, _, image) = try entry.loadImage(prefix: prefix, listFile: listFile, mode: mode)
        return (path, newHeight > 0 ? image.resized(height: newHeight, width: newWidth) : image)
    }

    /// The list entry of example `position`; reshuffles when the example is in another epoch.
    private func entry(at position: Int64) -> ImageList.Entry {
        let count = Int64(entries.count)
        let (epoch, index) = (skip + position).quotientAndRemainder(dividingBy: count)
        if shuffle && epoch != orderEpoch {
            order = ImageList.shuffled(entries, seed: Self.shuffleSeed(seed, epoch: epoch))
            orderEpoch = epoch
        }
        return order[Int(index)]
    }

    /// Nothing to prepare: an example's entry follows from its number alone.
    func seek(to position: Int64) {}

    /// Examples are found by their position: nothing to pass over.
    func skip(_ count: Int64, to position: Int64) {}

    func readExample(_ position: Int64, into output: UnsafeMutablePointer<Float>,
                     random: RandomSource) throws -> Float {
        let entry = entry(at: position)
        let (path, image) = try Self.load(entry, prefix: prefix, listFile: listFile, mode: mode,
                                          newHeight: newHeight, newWidth: newWidth)
        try entry.atLine(in: listFile) {
            try transformer.transform(ExamplePixels(image), expecting: expected, into: output, random: random,
                                      source: "'\(path)'")
        }
        return Float(entry.label)
    }
}
