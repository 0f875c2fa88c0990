import CaffeProto

/// Reads Datum records from an LMDB in key order, looping: the Data layer's reader.
/// Used by one thread at a time (the prefetch thread, after the layer's setup).
///
/// Example number k (counted from the layer's start, across epochs) is record
/// (skip + k) mod count.
final class DatumReader: ExampleReader {
    let path: String
    var exampleShape: ExampleShape { expected.shape }
    private let expected: ExpectedExample
    private let transformer: DataTransformer
    private let skip: Int
    private let database: LMDBDatabase
    private var cursor: LMDBCursor?

    /// Opens the database; its first record fixes the shape (Caffe's DataLayerSetUp).
    init(path: String, transformer: DataTransformer, skip: Int) throws {
        let database = try LMDBDatabase(path: path, mode: .read)
        let cursor = try database.makeCursor()
        guard let (key, datum) = try cursor.nextDatum() else { throw Self.empty(path) }
        cursor.close()
        let recordName = "record '\(key)' of '\(path)'"
        let first = try ExamplePixels(datum, source: recordName, mode: transformer.decodeMode)
        expected = ExpectedExample(
            shape: try transformer.outputShape(of: first.shape, source: recordName),
            origin: "the database's first record",
            hint: "all records must have one size (convert with --resize_height/--resize_width "
                + "or --check_size), or set crop_size no larger than the smallest image")
        self.path = path
        self.database = database
        self.transformer = transformer
        self.skip = skip
    }

    private static func empty(_ path: String) -> SwiftCaffeError {
        SwiftCaffeError(.io, "LMDB database '\(path)' is empty",
                        hint: "convert some data into it with convert-imageset or convert-mnist")
    }

    func seek(to position: Int64) throws {
        cursor?.close()
        let cursor = try database.makeCursor()
        let count = try database.count
        guard count > 0 else { throw Self.empty(path) }
        let first = Int((Int64(skip) + position) % Int64(count))
        for _ in 0..<first { _ = try cursor.next(looping: true) }
        self.cursor = cursor
    }

    func skip(_ count: Int64, to position: Int64) throws {
        guard let cursor else { return try seek(to: position) }
        let records = try database.count
        guard records > 0 else { throw Self.empty(path) }
        for _ in 0..<(count % Int64(records)) { _ = try cursor.next(looping: true) }
    }

    func readExample(_ position: Int64, into output: UnsafeMutablePointer<Float>,
                     random: RandomSource) throws -> Float {
        if cursor == nil { try seek(to: position) }
        guard let cursor, let (key, datum) = try cursor.nextDatum(looping: true) else { throw Self.empty(path) }
        // The record's name is only built if an error is thrown.
        try transformer.transform(datum, expecting: expected, into: output, random: random,
                                  source: "record '\(key)' of '\(path)'")
        return Float(datum.label)
    }
}
