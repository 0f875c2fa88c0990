import CaffeProto

/// Caffe's Datum records, as an LMDB stores them: one example's shape, pixels (raw
/// bytes, float_data, or an encoded JPEG/PNG) and label.
extension Caffe_Datum {
    /// Decodes an LMDB record's value; `key` and `path` name the record in errors.
    public init(lmdbValue bytes: [UInt8], key: String, path: String) throws {
        do {
            self = try Caffe_Datum(serializedBytes: bytes)
        } catch {
            throw SwiftCaffeError(.io, "record '\(key)' in '\(path)' is not a Datum: \(error)")
        }
        // Arbitrary bytes can parse as nothing but unknown fields; a real Datum sets
        // at least one of its own.
        if !unknownFields.data.isEmpty && !hasChannels && !hasHeight && !hasWidth && !hasData
            && !hasLabel && floatData.isEmpty && !hasEncoded {
            throw SwiftCaffeError(.io, "record '\(key)' in '\(path)' is not a Datum: it has none of Datum's fields")
        }
    }

    /// channels × height × width (for raw and float records; encoded ones have their
    /// size in the image).
    public var exampleShape: ExampleShape {
        ExampleShape(channels: Int(channels), height: Int(height), width: Int(width))
    }

    /// The number of values channels × height × width promises, or nil when a
    /// dimension is negative or the product overflows.
    public var expectedValueCount: Int? {
        let dims = [Int(channels), Int(height), Int(width)]
        guard dims.allSatisfy({ $0 >= 0 }) else { return nil }
        var product = 1
        for d in dims {
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            product = p
        }
        return product
    }

    /// Checks that the payload matches the shape: `data` holds channels·height·width
    /// bytes, or `float_data` that many floats. Encoded images (`encoded`) are checked
    /// only for being non-empty: their size is known after decoding. `key` and `path`,
    /// when given, name the record in the error.
    public func validate(key: String? = nil, path: String? = nil) throws {
        var name = "Datum"
        if let key { name = "record '\(key)'" }
        if let path { name += " in '\(path)'" }
        if encoded {
            guard !data.isEmpty else {
                throw SwiftCaffeError(.io, "\(name) is marked encoded but holds no image data")
            }
            return
        }
        let shape = exampleShape
        guard let expected = expectedValueCount else {
            throw SwiftCaffeError(.io, "\(name) has an invalid shape \(shape) (channels x height x width)")
        }
        guard expected > 0 else {
            throw SwiftCaffeError(.io, "\(name) has an empty shape \(shape) (channels x height x width)")
        }
        if !data.isEmpty {
            guard data.count == expected else {
                throw SwiftCaffeError(.io, "\(name) has \(data.count) bytes of data but its shape \(shape) "
                                      + "needs \(expected)")
            }
        } else if !floatData.isEmpty {
            guard floatData.count == expected else {
                throw SwiftCaffeError(.io, "\(name) has \(floatData.count) float_data values but its shape "
                                      + "\(shape) needs \(expected)")
            }
        } else {
            throw SwiftCaffeError(.io, "\(name) has shape \(shape) but neither data nor float_data")
        }
    }
}

extension LMDBCursor {
    /// The next record decoded as a Datum (see `next(looping:)`), or nil.
    public func nextDatum(looping: Bool = false) throws -> (key: String, datum: Caffe_Datum)? {
        guard let (key, value) = try next(looping: looping) else { return nil }
        return (key, try Caffe_Datum(lmdbValue: value, key: key, path: database.path))
    }
}
