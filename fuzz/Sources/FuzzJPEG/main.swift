// The JPEG decoder, as convert-imageset, encoded Datum records and the ImageData layer
// use it: header, decode in native/gray/colour mode, resize. Seeds are JPEG files;
// the decoder picks the format from the bytes, so both harnesses reach both decoders.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.decodeImage(Fuzz.bytes(start, count))
    return 0
}

@_cdecl("FuzzJPEG_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzJPEG(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
