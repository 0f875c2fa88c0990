import CaffeProto
import Foundation

/// Reads the images an ImageData layer's list names and transforms them into batches:
/// the work of the layer's prefetch thread. Used by one thread at a time.
///
/// Example number k (counted from the layer's start, across epochs) is entry
/// (skip + k) mod n of epoch (skip + k) / n, where n is the list's length — Caffe's
/// order, in which `rand_skip` only shortens the first epoch. With `shuffle` each
/// epoch has its own permutation, seeded from (seed, epoch), and every example gets
/// its crop, flip and lighting from a stream seeded with (seed, k): the batches are a
/// function of the position alone, which is what makes resuming from a snapshot exact.
final class ImageListReader {
    /// The list file, as the layer names it (errors point at its lines).
    let listFile: String
    let batchSize: Int
    /// Output shape of one example (C, H, W), fixed by the first image (as Caffe).
    let exampleShape: (channels: Int, height: Int, width: Int)
    /// The first example's image, named in size mismatches.
    private let firstImage: String
    private let entries: [ImagesetConverter.Entry]
    /// root_folder, with a "/" so that "images" and "images/" both work.
    private let prefix: String
    /// Decoding and resizing (is_color, new_height × new_width), as convert-imageset does.
    private let decoding: ImagesetConverter.Options
    private let transformer: DataTransformer
    private let shuffle: Bool
    private let seed: UInt64
    private let skip: Int64
    private let random = RandomSource(seed: 0)
    /// The order of `orderEpoch` (the list itself when not shuffling).
    private var order: [ImagesetConverter.Entry]
    private var orderEpoch: Int64 = 0
    /// The next example's number.
    private(set) var position: Int64 = 0

    /// Reads the list and the first example's image, which fixes the shape. Errors about
    /// the list name the field `image_data_param.source`.
    init(param: Caffe_ImageDataParameter, batchSize: Int, transformer: DataTransformer,
         seed: UInt64, skip: Int) throws {
        listFile = param.source
        self.batchSize = batchSize
        self.transformer = transformer
        self.seed = seed
        self.skip = Int64(skip)
        shuffle = param.shuffle
        let root = param.rootFolder
        prefix = root.isEmpty || root.hasSuffix("/") ? root : root + "/"
        decoding = {
            var options = ImagesetConverter.Options()
            options.gray = !param.isColor
            options.resizeHeight = Int(param.newHeight)
            options.resizeWidth = Int(param.newWidth)
            return options
        }()

        do {
            entries = try ImagesetConverter.readList(path: listFile)
        } catch var error as SwiftCaffeError {
            // A missing or unreadable list is the field's fault; a bad line keeps its own position.
            if error.location == nil { error.field = "image_data_param.source" }
            throw error
        }
        guard !entries.isEmpty else {
            throw SwiftCaffeError.invalid("image_data_param.source", "the list file '\(listFile)' lists no images",
                                          hint: "the list holds one 'relative/path label' line per image")
        }
        // The first example fixes the shape (Caffe's ImageDataLayer::DataLayerSetUp); a
        // rand_skip beyond the list's end lands in a later epoch.
        let (epoch, index) = self.skip.quotientAndRemainder(dividingBy: Int64(entries.count))
        order = shuffle ? ImagesetConverter.shuffled(entries, seed: Self.shuffleSeed(seed, epoch: epoch)) : entries
        orderEpoch = epoch
        let first = order[Int(index)]
        firstImage = prefix + first.path
        let (datum, _) = try ImagesetConverter.makeDatum(first, prefix: prefix, listFile: listFile, options: decoding)
        exampleShape = try transformer.outputShape(channels: Int(datum.channels), height: Int(datum.height),
                                                   width: Int(datum.width), source: "'\(firstImage)'")
    }

    /// The permutation seed of `epoch`: independent of the per-example transform seeds.
    private static func shuffleSeed(_ seed: UInt64, epoch: Int64) -> UInt64 {
        (seed ^ 0x5851_F42D_4C95_7F2D) &+ UInt64(bitPattern: epoch) &* 0x9E37_79B9_7F4A_7C15
    }

    /// The list entry of example `position`; reshuffles when the example is in another epoch.
    private func entry(at position: Int64) -> ImagesetConverter.Entry {
        let count = Int64(entries.count)
        let global = skip + position
        let (epoch, index) = global.quotientAndRemainder(dividingBy: count)
        if shuffle && epoch != orderEpoch {
            order = ImagesetConverter.shuffled(entries, seed: Self.shuffleSeed(seed, epoch: epoch))
            orderEpoch = epoch
        }
        return order[Int(index)]
    }

    /// Positions the reader so the next example is number `position`.
    func seek(to position: Int64) {
        self.position = position
    }

    /// Fills one batch: `data` gets batchSize × C × H × W values, `labels` (if not
    /// empty) batchSize labels. Runs on the prefetch thread: reading and decoding
    /// allocate here, never on the solver's side.
    func fill(data: UnsafeMutableBufferPointer<Float>, labels: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = data.baseAddress else { return }
        let (channels, height, width) = exampleShape
        let stride = channels * height * width
        for item in 0..<batchSize {
            let entry = entry(at: position)
            let path = prefix + entry.path
            let (datum, _) = try ImagesetConverter.makeDatum(entry, prefix: prefix, listFile: listFile,
                                                             options: decoding)
            let (c, h, w) = (Int(datum.channels), Int(datum.height), Int(datum.width))
            let location = SourceLocation(file: listFile, line: entry.line, column: 1)
            let out: (Int, Int, Int)
            do {
                out = try transformer.outputShape(channels: c, height: h, width: w, source: "'\(path)'")
            } catch var error as SwiftCaffeError {
                error.location = error.location ?? location
                throw error
            }
            guard out == exampleShape else {
                throw SwiftCaffeError(.io,
                    "'\(path)' is \(c)x\(h)x\(w), which gives a \(out.0)x\(out.1)x\(out.2) example, but the "
                        + "layer's examples are \(channels)x\(height)x\(width) (from the first image '\(firstImage)')",
                    location: location,
                    hint: "give every image one size with image_data_param new_height and new_width, or set "
                        + "transform_param crop_size no larger than the smallest image")
            }
            random.reseed(forExample: position, layerSeed: seed)
            try datum.data.withUnsafeBytes { raw in
                try transformer.transform(bytes: raw.bindMemory(to: UInt8.self), channels: c, height: h, width: w,
                                          into: base + item * stride, random: random, source: "'\(path)'")
            }
            if !labels.isEmpty { labels[item] = Float(entry.label) }
            position += 1
        }
    }
}
