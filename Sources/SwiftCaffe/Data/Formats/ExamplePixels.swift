import CaffeProto

/// The stored values of one example and their shape: a Datum's raw bytes or its
/// float_data, the decoded image of an encoded Datum, or an image read from a file.
/// What `DataTransformer` turns into a net input.
struct ExamplePixels {
    let shape: ExampleShape
    private let datum: Caffe_Datum
    private let decoded: [UInt8]?

    /// The values of `datum`; an encoded one is decoded in `mode`. `source` names the
    /// record in errors (it is only built for an error).
    init(_ datum: Caffe_Datum, source: @autoclosure () -> String, mode: ImageColorMode) throws {
        self.datum = datum
        if datum.encoded {
            guard !datum.data.isEmpty else {
                throw SwiftCaffeError(.io, "\(source()) is marked encoded but holds no image data")
            }
            let image = try datum.data.withUnsafeBytes { try ImageCodec.decode($0, mode: mode, source: source()) }
            shape = image.shape
            decoded = image.pixels
        } else {
            do {
                try datum.validate()
            } catch var error as SwiftCaffeError {
                // validate() calls the record "Datum"; say which one.
                if error.message.hasPrefix("Datum") { error.message = source() + error.message.dropFirst(5) }
                throw error
            }
            shape = datum.exampleShape
            decoded = nil
        }
    }

    /// The pixels of a decoded image.
    init(_ image: Image8) {
        shape = image.shape
        datum = Caffe_Datum()
        decoded = image.pixels
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
