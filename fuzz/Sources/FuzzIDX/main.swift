// The IDX (MNIST) reader, as convert-mnist opens its two files: the same bytes read as
// an image file and as a label file, plain or gzipped (gzip is detected by its magic).
import FuzzSupport
import SwiftCaffe

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(start, count), name: "input-idx-ubyte")
    Fuzz.expectingUserErrors("IDXFile.readImages") {
        let images = try IDXFile.readImages(path: path)
        if images.count > 0 { _ = images.image(images.count - 1) }
    }
    Fuzz.expectingUserErrors("IDXFile.readLabels") {
        _ = try IDXFile.readLabels(path: path)
    }
    return 0
}

@_cdecl("FuzzIDX_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzIDX(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
