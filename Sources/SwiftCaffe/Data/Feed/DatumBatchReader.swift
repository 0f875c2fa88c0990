import CaffeProto
import Foundation

/// Reads Datum records from an LMDB in key order (looping) and transforms them into
/// batches: the work of the Data layer's prefetch thread. Used by one thread at a time.
///
/// Example number k (counted from the layer's start, across epochs) comes from record
/// (skip + k) mod count and gets its crop, flip and lighting from a random stream
/// seeded with (seed, k): the batches are a function of the position alone, which is
/// what makes resuming from a snapshot exact.
final class DatumBatchReader {
    let path: String
    let batchSize: Int
    /// Output shape of one example (C, H, W), fixed by the first record.
    let exampleShape: (channels: Int, height: Int, width: Int)
    private let transformer: DataTransformer
    private let decodeMode: ImageColorMode
    private let seed: UInt64
    private let skip: Int
    private let random = RandomSource(seed: 0)
    private let database: LMDBDatabase
    private var cursor: LMDBCursor?
    /// The next example's number.
    private(set) var position: Int64 = 0

    init(database: LMDBDatabase, batchSize: Int, exampleShape: (Int, Int, Int), transformer: DataTransformer,
         decodeMode: ImageColorMode, seed: UInt64, skip: Int) {
        self.database = database
        self.path = database.path
        self.batchSize = batchSize
        self.exampleShape = exampleShape
        self.transformer = transformer
        self.decodeMode = decodeMode
        self.seed = seed
        self.skip = skip
    }

    /// Positions the reader so the next example is number `position`.
    func seek(to position: Int64) throws {
        cursor?.close()
        let cursor = try database.makeCursor()
        let count = try database.count
        guard count > 0 else {
            throw SwiftCaffeError(.io, "LMDB database '\(path)' is empty",
                                  hint: "convert some data into it with convert-imageset or convert-mnist")
        }
        let first = Int((Int64(skip) + position) % Int64(count))
        for _ in 0..<first { _ = try cursor.next(looping: true) }
        self.cursor = cursor
        self.position = position
    }

    /// Fills one batch: `data` gets batchSize × C × H × W values, `labels` (if not
    /// empty) batchSize labels.
    func fill(data: UnsafeMutableBufferPointer<Float>, labels: UnsafeMutableBufferPointer<Float>) throws {
        if cursor == nil { try seek(to: position) }
        guard let cursor, let base = data.baseAddress else { return }
        let (channels, height, width) = exampleShape
        let stride = channels * height * width
        for item in 0..<batchSize {
            guard let (key, datum) = try cursor.nextDatum(looping: true) else {
                throw SwiftCaffeError(.io, "LMDB database '\(path)' is empty")
            }
            random.reseed(forExample: position, layerSeed: seed)
            let output = base + item * stride
            // The record's name is only built if an error is thrown.
            try DatumBatchReader.transform(datum, source: "record '\(key)' of '\(path)'",
                                           transformer: transformer, mode: decodeMode,
                                           expecting: exampleShape, into: output, random: random)
            if !labels.isEmpty { labels[item] = Float(datum.label) }
            position += 1
        }
    }

    /// Checks `datum` against the layer's example shape and transforms it into `output`.
    static func transform(_ datum: Caffe_Datum, source: @autoclosure () -> String, transformer: DataTransformer, mode: ImageColorMode,
                          expecting shape: (Int, Int, Int), into output: UnsafeMutablePointer<Float>,
                          random: RandomSource) throws {
        let pixels = try DatumPixels(datum, source: source(), mode: mode)
        let out = try transformer.outputShape(channels: pixels.channels, height: pixels.height,
                                              width: pixels.width, source: source())
        guard out == shape else {
            throw SwiftCaffeError(.io,
                "\(source()) is \(pixels.channels)x\(pixels.height)x\(pixels.width), which gives a "
                    + "\(out.0)x\(out.1)x\(out.2) example, but the layer's examples are "
                    + "\(shape.0)x\(shape.1)x\(shape.2) (from the database's first record)",
                hint: "all records must have one size (convert with --resize_height/--resize_width "
                    + "or --check_size), or set crop_size no larger than the smallest image")
        }
        try pixels.withValues { bytes, floats in
            if let bytes {
                try transformer.transform(bytes: bytes, channels: pixels.channels, height: pixels.height,
                                          width: pixels.width, into: output, random: random, source: source())
            } else if let floats {
                try transformer.transform(floats: floats, channels: pixels.channels, height: pixels.height,
                                          width: pixels.width, into: output, random: random, source: source())
            }
        }
    }
}

/// The pixel values of a Datum: its raw bytes, its float_data, or its decoded image.
struct DatumPixels {
    let channels: Int
    let height: Int
    let width: Int
    private let datum: Caffe_Datum
    private let decoded: [UInt8]?

    init(_ datum: Caffe_Datum, source: @autoclosure () -> String, mode: ImageColorMode) throws {
        self.datum = datum
        if datum.encoded {
            guard !datum.data.isEmpty else {
                throw SwiftCaffeError(.io, "\(source()) is marked encoded but holds no image data")
            }
            let image = try datum.data.withUnsafeBytes { try ImageCodec.decode($0, mode: mode, source: source()) }
            (channels, height, width) = (image.channels, image.height, image.width)
            decoded = image.pixels
        } else {
            do {
                try datum.validate()
            } catch var error as SwiftCaffeError {
                // validate() calls the record "Datum"; say which one.
                if error.message.hasPrefix("Datum") { error.message = source() + error.message.dropFirst(5) }
                throw error
            }
            (channels, height, width) = (Int(datum.channels), Int(datum.height), Int(datum.width))
            decoded = nil
        }
    }

    /// Calls `body` with the bytes (raw or decoded) or, for float_data, the floats.
    func withValues(_ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<Float>?) throws -> Void) throws {
        if let decoded {
            try decoded.withUnsafeBufferPointer { try body($0, nil) }
        } else if !datum.data.isEmpty {
            try datum.data.withUnsafeBytes { raw in try body(raw.bindMemory(to: UInt8.self), nil) }
        } else {
            try datum.floatData.withUnsafeBufferPointer { try body(nil, $0) }
        }
    }
}
