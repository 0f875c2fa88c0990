// The LMDB record path. The first input byte picks what the rest is:
//   even: the value of the one record of a real database that the harness writes,
//         then read back by the Data layer's reader (DatumReader: open, first record
//         fixes the shape, read and transform one example);
//   odd:  a damaged copy of a real three-record database: bytes 1-2 (little-endian)
//         cut data.mdb to that length (values past its size keep it whole), then each
//         following 3 bytes overwrite one byte of the two header pages (offset
//         little-endian, modulo their size; then the value). The database is opened
//         read-only, counted and walked record by record, each decoded as a Datum, as
//         compute-image-mean and the Data layer do. Garbage inside the tree's own pages
//         is left out: LMDB has no checksums and trusts them (docs/reliability.md).
import CaffeProto
import Foundation
import FuzzSupport
@testable import SwiftCaffe

nonisolated(unsafe) let transformer: DataTransformer = {
    var param = Caffe_TransformationParameter()
    param.mirror = true
    do { return try DataTransformer(param: param, phase: .train) } catch { fatalError("fuzz harness: \(error)") }
}()


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLMDB(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    _ = template  // made before the first input: its allocations are no leak of an input
    let bytes = Fuzz.bytes(start, count)
    let payload = Array(bytes.dropFirst())
    let path = Fuzz.scratch + "/lmdb"
    try? FileManager.default.removeItem(atPath: path)
    if bytes[0] % 2 == 0 {
        recordValue(payload, path: path)
    } else {
        corruptDatabase(payload, path: path)
    }
    return 0
}

func recordValue(_ value: [UInt8], path: String) {
    do {
        let database = try LMDBDatabase(path: path, mode: .create, mapSize: 1 << 24)
        try database.put(key: "00000000", value: value)
        try database.close()
    } catch {
        fatalError("fuzz harness: cannot write the database: \(error)")
    }
    // As the Datum harness does: skip encoded images too large to decode quickly.
    if let datum = try? Caffe_Datum(serializedBytes: value), datum.encoded, !datum.data.isEmpty,
       let header = try? datum.data.withUnsafeBytes({ try ImageCodec.header($0, source: "record") }),
       !Fuzz.smallEnough(header) {
        return
    }
    Fuzz.expectingUserErrors("DatumReader") {
        let reader = try DatumReader(path: path, transformer: transformer, skip: 0)
        guard reader.exampleShape.count <= 1 << 22 else { return }
        var output = [Float](repeating: 0, count: reader.exampleShape.count)
        try output.withUnsafeMutableBufferPointer { buffer in
            _ = try reader.readExample(0, into: buffer.baseAddress!, random: RandomSource(seed: 1))
        }
    }
}

/// data.mdb of a real database of three small Datum records, made once.
let template: [UInt8] = {
    let path = Fuzz.scratch + "/template_lmdb"
    do {
        let database = try LMDBDatabase(path: path, mode: .create, mapSize: 1 << 24)
        for i in 0..<3 {
            var datum = Caffe_Datum()
            (datum.channels, datum.height, datum.width, datum.label) = (1, 2, 2, Int32(i))
            datum.data = Data([UInt8(i), 1, 2, 3])
            try database.put(key: String(format: "%08d", i), value: try datum.serializedBytes() as [UInt8])
        }
        try database.close()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/data.mdb")))
    } catch {
        fatalError("fuzz harness: cannot make the template database: \(error)")
    }
}()

func corruptDatabase(_ damage: [UInt8], path: String) {
    var file = template
    if damage.count >= 2 {
        let length = Int(damage[0]) | Int(damage[1]) << 8
        if length < file.count { file.removeLast(file.count - length) }
    }
    let headerPages = min(file.count, 2 * 4096)
    var patch = damage.dropFirst(2)
    while headerPages > 0, patch.count >= 3 {
        let bytes = Array(patch.prefix(3))
        patch = patch.dropFirst(3)
        file[(Int(bytes[0]) | Int(bytes[1]) << 8) % headerPages] = bytes[2]
    }
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    _ = Fuzz.file(file, name: "lmdb/data.mdb")
    Fuzz.expectingUserErrors("reading a damaged LMDB") {
        let database = try LMDBDatabase(path: path, mode: .read)
        _ = try database.count
        let cursor = try database.makeCursor()
        var seen = 0
        while seen < 64, let record = try cursor.next() {
            seen += 1
            Fuzz.expectingUserErrors("a damaged LMDB's record") {
                _ = try Caffe_Datum(lmdbValue: record.value, key: record.key, path: path).validate()
            }
        }
    }
}

@_cdecl("FuzzLMDB_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzLMDB(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
