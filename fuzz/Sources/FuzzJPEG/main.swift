// The JPEG decoder, as convert-imageset, encoded Datum records and the ImageData layer
// use it: header, decode in native/gray/colour mode, resize. Seeds are JPEG files;
// the decoder picks the format from the bytes, so both harnesses reach both decoders.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.decodeImage(Fuzz.bytes(start, count))
    return 0
}
