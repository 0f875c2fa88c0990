import CPNG
import CTurboJPEG
import Foundation

/// JPEG and PNG decoding and encoding for image datasets, with the results OpenCV
/// (and so Caffe) gives: planar BGR, JPEG decoded with libjpeg's accurate integer
/// IDCT and fancy upsampling, JPEG encoded at quality 95 with 4:2:0 chroma.
///
/// JPEG goes through libjpeg-turbo's TurboJPEG API, PNG through libpng's simplified
/// `png_image` API; both report errors through return values (libjpeg's and libpng's
/// classic APIs report them with longjmp, which must never cross Swift frames).
///
/// Every failure is a `SwiftCaffeError(.io, …)` naming the bytes' source. A JPEG that
/// libjpeg can only decode with a warning (most often "premature end of data segment",
/// a truncated file) is an error here, never a silently grey-padded image.
public enum ImageCodec {
    public enum Format: String, Sendable {
        case jpg, png
    }

    /// Decoded images larger than this many bytes are refused (a corrupt or hostile
    /// header could otherwise ask for terabytes).
    public static let maxDecodedBytes = 1 << 30

    /// The format the bytes' magic number announces, or nil.
    public static func format(of bytes: UnsafeRawBufferPointer) -> Format? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }

    public static func format(of bytes: [UInt8]) -> Format? {
        bytes.withUnsafeBytes { format(of: $0) }
    }

    /// What a file's header says, without decoding its pixels.
    public struct Header: Equatable, Sendable {
        public var format: Format
        /// The channels `ImageColorMode.native` decodes to: 1 for grayscale, 3 otherwise.
        public var channels: Int
        public var height: Int
        public var width: Int
    }

    /// Reads only the header of a JPEG or PNG image (errors as `decode`).
    public static func header(_ bytes: UnsafeRawBufferPointer, source: String) throws -> Header {
        let name = describe(source)
        switch format(of: bytes) {
        case .jpg?:
            guard let handle = tjInitDecompress() else {
                throw SwiftCaffeError(.io, "cannot start the JPEG decoder: \(tjMessage(nil))")
            }
            defer { tjDestroy(handle) }
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count),
                                      &width, &height, &subsampling, &colorspace) == 0 else {
                throw SwiftCaffeError(.io, "\(name) is not a valid JPEG image: \(tjMessage(handle))",
                                      hint: "re-export the image or drop it from the list")
            }
            let channels = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
            return Header(format: .jpg, channels: channels, height: Int(height), width: Int(width))
        case .png?:
            var png = png_image()
            png.version = png_uint_32(cpng_image_version)
            defer { png_image_free(&png) }
            guard png_image_begin_read_from_memory(&png, bytes.baseAddress, bytes.count) != 0 else {
                throw SwiftCaffeError(.io, "\(name) is not a valid PNG image: \(pngMessage(&png))",
                                      hint: "re-export the image or drop it from the list")
            }
            let channels = png.format & png_uint_32(cpng_format_flag_color) != 0 ? 3 : 1
            return Header(format: .png, channels: channels, height: Int(png.height), width: Int(png.width))
        case nil:
            // Let decode produce the one message for empty and unknown data.
            _ = try decode(bytes, mode: .native, source: source)
            throw SwiftCaffeError(.io, "\(name) is not a JPEG or PNG image")
        }
    }

    /// Decodes a JPEG or PNG image (the format is taken from the bytes, not a name).
    /// `source` names the bytes in errors: a file path (quoted in the message) or a
    /// phrase starting with "record " such as "record '00000007_cat.jpg' in 'train_lmdb'"
    /// (used as is).
    public static func decode(_ bytes: UnsafeRawBufferPointer, mode: ImageColorMode, source: String) throws -> Image8 {
        let name = describe(source)
        guard !bytes.isEmpty else {
            throw SwiftCaffeError(.io, "\(name) is empty, not an image", hint: "re-export the image or drop it from the list")
        }
        switch format(of: bytes) {
        case .jpg?: return try decodeJPEG(bytes, mode: mode, name: name)
        case .png?: return try decodePNG(bytes, mode: mode, name: name)
        case nil:
            let what = otherFormat(bytes).map { "a \($0) image" } ?? "not a JPEG or PNG image"
            throw SwiftCaffeError(.io, "\(name) is \(what): SwiftCaffe reads JPEG and PNG images",
                                  hint: "convert it to JPEG or PNG, or drop it from the list")
        }
    }

    public static func decode(_ bytes: [UInt8], mode: ImageColorMode, source: String) throws -> Image8 {
        try bytes.withUnsafeBytes { try decode($0, mode: mode, source: source) }
    }

    /// Encodes 1- or 3-channel (BGR) images. `quality` (1…100) applies to JPEG only.
    public static func encode(_ image: Image8, format: Format, quality: Int = 95) throws -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw SwiftCaffeError(.io, "cannot encode a \(image.channels)-channel image: JPEG and PNG need 1 or 3 channels")
        }
        guard image.height > 0, image.width > 0, image.pixels.count == image.channels * image.height * image.width,
              image.height <= Int(Int32.max), image.width <= Int(Int32.max) else {
            throw SwiftCaffeError(.io, "cannot encode an image of shape \(image.shape) "
                                  + "holding \(image.pixels.count) bytes")
        }
        switch format {
        case .jpg:
            guard (1...100).contains(quality) else {
                throw SwiftCaffeError(.usage, "JPEG quality must be in 1...100, got \(quality)")
            }
            return try encodeJPEG(image, quality: quality)
        case .png:
            return try encodePNG(image)
        }
    }

    // MARK: - Names in messages

    static func describe(_ source: String) -> String {
        source.hasPrefix("record ") ? source : "'\(source)'"
    }

    /// Names a few formats people meet in image folders, for a clearer message.
    private static func otherFormat(_ bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.starts(with: Array("GIF8".utf8)) { return "GIF" }
        if bytes.starts(with: Array("BM".utf8)) { return "BMP" }
        if bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)),
           Array(bytes[8..<12]) == Array("WEBP".utf8) { return "WebP" }
        return nil
    }

    private static func checkSize(width: Int, height: Int, channels: Int, name: String, format: String) throws {
        guard width > 0, height > 0 else {
            throw SwiftCaffeError(.io, "\(name) is not a valid \(format) image: it holds no picture "
                                  + "(\(width)x\(height) pixels; truncated or corrupt)",
                                  hint: "re-export the image or drop it from the list")
        }
        let (product, overflow) = (width * height).multipliedReportingOverflow(by: max(4, channels))
        guard !overflow, product <= maxDecodedBytes else {
            throw SwiftCaffeError(.io, "\(name) claims to be a \(width)x\(height) \(format) image, larger "
                                  + "than SwiftCaffe decodes (\(maxDecodedBytes >> 20) MiB)",
                                  hint: "shrink the image first, or drop it from the list if the file is corrupt")
        }
    }

    // MARK: - JPEG

    private static func tjMessage(_ handle: tjhandle?) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: text)
    }

    private static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, mode: ImageColorMode, name: String) throws -> Image8 {
        guard let handle = tjInitDecompress() else {
            throw SwiftCaffeError(.io, "cannot start the JPEG decoder: \(tjMessage(nil))")
        }
        defer { tjDestroy(handle) }
        let jpeg = bytes.bindMemory(to: UInt8.self).baseAddress
        let size = UInt(bytes.count)
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, jpeg, size, &width, &height, &subsampling, &colorspace) == 0 else {
            throw SwiftCaffeError(.io, "\(name) is not a valid JPEG image: \(tjMessage(handle))",
                                  hint: "re-export the image or drop it from the list")
        }
        let w = Int(width), h = Int(height)
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let fileChannels = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
        // libjpeg converts YCbCr to gray by keeping Y, exactly what OpenCV asks it for with
        // IMREAD_GRAYSCALE; CMYK can only come out as CMYK and is converted below.
        let outChannels: Int
        let pixelFormat: TJPF
        if cmyk {
            (outChannels, pixelFormat) = (4, TJPF_CMYK)
        } else if mode == .gray || (mode == .native && fileChannels == 1) {
            (outChannels, pixelFormat) = (1, TJPF_GRAY)
        } else {
            (outChannels, pixelFormat) = (3, TJPF_BGR)
        }
        try checkSize(width: w, height: h, channels: outChannels, name: name, format: "JPEG")

        var interleaved = [UInt8](repeating: 0, count: w * h * outChannels)
        // STOPONWARNING: a warning (e.g. premature end of data) means a damaged image.
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING
        let rc = interleaved.withUnsafeMutableBufferPointer { out in
            tjDecompress2(handle, jpeg, size, out.baseAddress, width, 0, height,
                          Int32(pixelFormat.rawValue), Int32(flags))
        }
        guard rc == 0 else {
            let message = tjMessage(handle)
            let warning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
            throw SwiftCaffeError(
                .io, "\(name) is not a complete JPEG image (truncated or corrupt): \(message)"
                    + (warning ? " (libjpeg warning)" : ""),
                hint: "re-export the image or drop it from the list")
        }
        var image = interleaved.withUnsafeBufferPointer {
            cmyk ? cmykToBGR($0, height: h, width: w)
                : Image8.planar(interleaved: $0, channels: outChannels, height: h, width: w)
        }
        if mode == .gray { image = image.grayscale() }
        if mode == .color { image = image.color() }
        return image
    }

    /// OpenCV's conversion of the inverted CMYK that Adobe writes (and libjpeg returns
    /// as stored) to B, G, R.
    private static func cmykToBGR(_ cmyk: UnsafeBufferPointer<UInt8>, height: Int, width: Int) -> Image8 {
        let plane = height * width
        var out = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            let k = Int(cmyk[4 * i + 3])
            func ink(_ v: UInt8) -> UInt8 { UInt8(k - (((255 - Int(v)) * k) >> 8)) }
            out[2 * plane + i] = ink(cmyk[4 * i])      // C → R
            out[plane + i] = ink(cmyk[4 * i + 1])      // M → G
            out[i] = ink(cmyk[4 * i + 2])              // Y → B
        }
        return Image8(channels: 3, height: height, width: width, pixels: out)
    }

    private static func encodeJPEG(_ image: Image8, quality: Int) throws -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw SwiftCaffeError(.io, "cannot start the JPEG encoder: \(tjMessage(nil))")
        }
        defer { tjDestroy(handle) }
        let gray = image.channels == 1
        let source = image.interleaved()
        var jpeg: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { if let jpeg { tjFree(jpeg) } }
        // OpenCV's defaults: 4:2:0 chroma, libjpeg's accurate integer DCT (TurboJPEG would
        // switch to the fast DCT below quality 96 without ACCURATEDCT).
        let rc = source.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32((gray ? TJPF_GRAY : TJPF_BGR).rawValue), &jpeg, &size,
                        Int32((gray ? TJSAMP_GRAY : TJSAMP_420).rawValue), Int32(quality), Int32(TJFLAG_ACCURATEDCT))
        }
        guard rc == 0, let jpeg else {
            throw SwiftCaffeError(.io, "cannot encode a \(image.shape) image as JPEG: \(tjMessage(handle))")
        }
        return [UInt8](UnsafeBufferPointer(start: jpeg, count: Int(size)))
    }

    // MARK: - PNG

    private static func pngMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let text = raw.prefix { $0 != 0 }
            return text.isEmpty ? "unknown libpng error" : String(decoding: text, as: UTF8.self)
        }
    }

    private static func decodePNG(_ bytes: UnsafeRawBufferPointer, mode: ImageColorMode, name: String) throws -> Image8 {
        var png = png_image()
        png.version = png_uint_32(cpng_image_version)
        defer { png_image_free(&png) }
        guard png_image_begin_read_from_memory(&png, bytes.baseAddress, bytes.count) != 0 else {
            throw SwiftCaffeError(.io, "\(name) is not a valid PNG image: \(pngMessage(&png))",
                                  hint: "re-export the image or drop it from the list")
        }
        // Without this flag libpng takes 16-bit samples without gamma information as
        // linear light and gamma-encodes them on the way to 8 bits; OpenCV just scales.
        // (begin_read clears the struct; finish_read is where the flag is looked at.)
        png.flags |= png_uint_32(cpng_image_flag_16bit_srgb)
        let w = Int(png.width), h = Int(png.height)
        let fileIsColor = png.format & png_uint_32(cpng_format_flag_color) != 0
        let fileHasAlpha = png.format & png_uint_32(cpng_format_flag_alpha) != 0
        // Alpha is read and then dropped (OpenCV strips it), rather than letting libpng
        // composite the image onto a background, which would change the colours.
        let channels = fileIsColor ? 3 : 1
        let stored = channels + (fileHasAlpha ? 1 : 0)
        png.format = png_uint_32(fileIsColor ? (fileHasAlpha ? cpng_format_bgra : cpng_format_bgr)
                                 : (fileHasAlpha ? cpng_format_ga : cpng_format_gray))
        try checkSize(width: w, height: h, channels: stored, name: name, format: "PNG")

        var interleaved = [UInt8](repeating: 0, count: w * h * stored)
        let ok = interleaved.withUnsafeMutableBytes { out in
            png_image_finish_read(&png, nil, out.baseAddress, 0, nil)
        }
        guard ok != 0 else {
            throw SwiftCaffeError(.io, "\(name) is not a complete PNG image (truncated or corrupt): \(pngMessage(&png))",
                                  hint: "re-export the image or drop it from the list")
        }
        var image = interleaved.withUnsafeBufferPointer {
            Image8.planar(interleaved: $0, channels: stored, height: h, width: w)
        }
        if fileHasAlpha {
            image.pixels.removeLast(h * w)
            image.channels = channels
        }
        return image.converted(to: mode)
    }

    private static func encodePNG(_ image: Image8) throws -> [UInt8] {
        var png = png_image()
        png.version = png_uint_32(cpng_image_version)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(image.channels == 1 ? cpng_format_gray : cpng_format_bgr)
        defer { png_image_free(&png) }
        let source = image.interleaved()
        var size: png_alloc_size_t = 0
        // First pass measures, second writes (libpng's documented two-call pattern).
        let measured = source.withUnsafeBytes { src in
            png_image_write_to_memory(&png, nil, &size, 0, src.baseAddress, 0, nil)
        }
        guard measured != 0, size > 0 else {
            throw SwiftCaffeError(.io, "cannot encode a \(image.shape) image as PNG: \(pngMessage(&png))")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let written = source.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&png, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
            }
        }
        guard written != 0 else {
            throw SwiftCaffeError(.io, "cannot encode a \(image.shape) image as PNG: \(pngMessage(&png))")
        }
        out.removeLast(out.count - Int(size))
        return out
    }
}
