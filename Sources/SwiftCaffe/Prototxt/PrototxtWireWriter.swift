/// A minimal protobuf binary (wire format) writer.
///
/// The text reader validates values against the schema itself and then writes them
/// in binary, which the generated SwiftProtobuf types decode. Going through binary
/// (instead of setting fields on generated structs) keeps the reader generic over
/// every message in caffe.proto with no per-field code. Repeated scalars are written
/// unpacked; protobuf decoders accept both forms for every repeated scalar field.
struct PrototxtWireWriter {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private(set) var bytes: [UInt8] = []

    mutating func tag(_ fieldNumber: Int, _ wireType: WireType) {
        varint(UInt64(truncatingIfNeeded: fieldNumber) << 3 | wireType.rawValue)
    }

    /// Base-128 varint. Negative int32/int64 values arrive here sign-extended to
    /// 64 bits, which makes them 10 bytes long — what the protobuf spec requires.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func fixed32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    mutating func fixed64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    mutating func lengthDelimited(_ payload: [UInt8]) {
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    /// ZigZag encoding for sint32/sint64: small magnitudes of either sign stay short.
    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
}
