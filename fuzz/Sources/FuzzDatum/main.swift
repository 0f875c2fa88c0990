// Datum records, as the Data layer reads them from an LMDB value: decoded as a Datum,
// checked, decoded again if it holds an encoded JPEG/PNG, and transformed into a net
// input twice — as stored, and with a TRAIN-phase crop, mirror, mean and scale.
import CaffeProto
import FuzzSupport
@testable import SwiftCaffe

nonisolated(unsafe) let transformers: [DataTransformer] = {
    var cropped = Caffe_TransformationParameter()
    cropped.cropSize = 3
    cropped.mirror = true
    cropped.meanValue = [104]
    cropped.scale = 1.0 / 256
    do {
        return [try DataTransformer(param: Caffe_TransformationParameter(), phase: .test),
                try DataTransformer(param: cropped, phase: .train)]
    } catch {
        fatalError("fuzz harness: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatum(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Fuzz.bytes(start, count)
    Fuzz.expectingUserErrors("the Datum reader") {
        let datum = try Caffe_Datum(lmdbValue: bytes, key: "00000000", path: "fuzz_lmdb")
        if datum.encoded, !datum.data.isEmpty {
            // As the image harnesses do: skip images too large to decode quickly.
            let header = try datum.data.withUnsafeBytes { try ImageCodec.header($0, source: "record '00000000'") }
            guard Fuzz.smallEnough(header) else { return }
        }
        for transformer in transformers {
            Fuzz.expectingUserErrors("transforming a Datum") {
                try transform(datum, with: transformer)
            }
        }
    }
    return 0
}

/// What DatumReader does with a database's first record and then every record.
func transform(_ datum: Caffe_Datum, with transformer: DataTransformer) throws {
    let pixels = try ExamplePixels(datum, source: "record '00000000'", mode: transformer.decodeMode)
    let shape = try transformer.outputShape(of: pixels.shape, source: "record '00000000'")
    guard shape.count <= 1 << 22 else { return }
    let expected = ExpectedExample(shape: shape, origin: "the database's first record", hint: "")
    var output = [Float](repeating: 0, count: shape.count)
    try output.withUnsafeMutableBufferPointer { buffer in
        try transformer.transform(datum, expecting: expected, into: buffer.baseAddress!,
                                  random: RandomSource(seed: 1), source: "record '00000000'")
    }
}

@_cdecl("FuzzDatum_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzDatum(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
