/// An 8-bit image laid out exactly as Caffe stores one in a Datum: planar
/// channels × height × width, colour channels in OpenCV's order B, G, R. Pixel
/// (c, y, x) is `pixels[(c * height + y) * width + x]`.
public struct Image8: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var pixels: [UInt8]

    public init(channels: Int, height: Int, width: Int, pixels: [UInt8]) {
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// A black image of the given shape.
    public init(channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width,
                  pixels: [UInt8](repeating: 0, count: max(0, channels * height * width)))
    }

    /// channels × height × width.
    public var shape: ExampleShape { ExampleShape(channels: channels, height: height, width: width) }

    public subscript(channel: Int, y: Int, x: Int) -> UInt8 {
        get { pixels[(channel * height + y) * width + x] }
        set { pixels[(channel * height + y) * width + x] = newValue }
    }
}

/// How many channels a decoded image gets.
public enum ImageColorMode: Sendable {
    /// The file's own: 1 for a grayscale JPEG or PNG, 3 otherwise (OpenCV's
    /// IMREAD_ANYCOLOR, which Caffe uses to decode encoded Datums natively).
    case native
    /// Always 3 channels, B, G, R (OpenCV's IMREAD_COLOR; Caffe's default).
    case color
    /// Always 1 channel of luma (OpenCV's IMREAD_GRAYSCALE; convert_imageset --gray).
    case gray
}

// MARK: - Colour conversion

extension Image8 {
    /// Luma of a B, G, R pixel: 0.299 R + 0.587 G + 0.114 B, rounded. The weights are
    /// OpenCV's 14-bit fixed-point ones (they sum to 2^14), so the result matches
    /// cv::cvtColor(BGR2GRAY) to the last bit.
    @inline(__always)
    static func luma(b: UInt8, g: UInt8, r: UInt8) -> UInt8 {
        let sum: Int = Int(b) * 1868 + Int(g) * 9617 + Int(r) * 4899
        return UInt8((sum + 8192) >> 14)
    }

    /// This image with one channel of luma (unchanged when it already has one channel).
    public func grayscale() -> Image8 {
        guard channels == 3 else { return self }
        let plane = height * width
        var out = [UInt8](repeating: 0, count: plane)
        for i in 0..<plane {
            out[i] = Self.luma(b: pixels[i], g: pixels[plane + i], r: pixels[2 * plane + i])
        }
        return Image8(channels: 1, height: height, width: width, pixels: out)
    }

    /// This image with three channels (a gray plane is repeated as B, G and R).
    public func color() -> Image8 {
        guard channels == 1 else { return self }
        return Image8(channels: 3, height: height, width: width, pixels: pixels + pixels + pixels)
    }

    /// Converts to the channel count `mode` asks for; `native` keeps the image as is.
    public func converted(to mode: ImageColorMode) -> Image8 {
        switch mode {
        case .native: return self
        case .color: return color()
        case .gray: return grayscale()
        }
    }

    /// Interleaves (H×W×C, the order decoders produce) into planar C×H×W.
    static func planar(interleaved: UnsafeBufferPointer<UInt8>, channels: Int, height: Int, width: Int) -> Image8 {
        let plane = height * width
        var out = [UInt8](repeating: 0, count: channels * plane)
        out.withUnsafeMutableBufferPointer { dst in
            for c in 0..<channels {
                let d = dst.baseAddress! + c * plane
                for i in 0..<plane { d[i] = interleaved[i * channels + c] }
            }
        }
        return Image8(channels: channels, height: height, width: width, pixels: out)
    }

    /// The pixels interleaved H×W×C, the order encoders take.
    func interleaved() -> [UInt8] {
        let plane = height * width
        var out = [UInt8](repeating: 0, count: channels * plane)
        for c in 0..<channels {
            for i in 0..<plane { out[i * channels + c] = pixels[c * plane + i] }
        }
        return out
    }
}

// MARK: - Geometry

extension Image8 {
    /// Bilinear resampling to height × width, as OpenCV's cv::resize with INTER_LINEAR
    /// (what Caffe's convert_imageset uses): pixel centres are aligned
    /// (src = (dst + 0.5) · scale − 0.5), and a source coordinate outside the image is
    /// clamped to the edge pixel. OpenCV computes in fixed point, so a value can differ
    /// from it by one; these are the exactly rounded ones.
    public func resized(height newHeight: Int, width newWidth: Int) -> Image8 {
        guard newHeight > 0, newWidth > 0, height > 0, width > 0 else {
            return Image8(channels: channels, height: max(0, newHeight), width: max(0, newWidth))
        }
        if newHeight == height && newWidth == width { return self }
        let xs = Self.linearTaps(source: width, destination: newWidth)
        let ys = Self.linearTaps(source: height, destination: newHeight)
        var out = [UInt8](repeating: 0, count: channels * newHeight * newWidth)
        for c in 0..<channels {
            let src = c * height * width
            let dst = c * newHeight * newWidth
            for oy in 0..<newHeight {
                let (y0, y1, wy) = ys[oy]
                let row0 = src + y0 * width, row1 = src + y1 * width
                for ox in 0..<newWidth {
                    let (x0, x1, wx) = xs[ox]
                    let top = Double(pixels[row0 + x0]) * (1 - wx) + Double(pixels[row0 + x1]) * wx
                    let bottom = Double(pixels[row1 + x0]) * (1 - wx) + Double(pixels[row1 + x1]) * wx
                    let value = top * (1 - wy) + bottom * wy
                    out[dst + oy * newWidth + ox] = UInt8(min(255, max(0, value.rounded())))
                }
            }
        }
        return Image8(channels: channels, height: newHeight, width: newWidth, pixels: out)
    }

    /// For every destination index: the two source indices and the weight of the second,
    /// following OpenCV's INTER_LINEAR coordinate rule.
    static func linearTaps(source: Int, destination: Int) -> [(Int, Int, Double)] {
        let scale = Double(source) / Double(destination)
        return (0..<destination).map { d in
            let f = (Double(d) + 0.5) * scale - 0.5
            var i = Int(f.rounded(.down))
            var w = f - Double(i)
            if i < 0 {
                i = 0
                w = 0
            }
            if i >= source - 1 {
                i = source - 1
                w = 0
            }
            return (i, min(i + 1, source - 1), w)
        }
    }

    /// Resized keeping the aspect ratio so that the shorter side is `side` (the longer
    /// side rounded to the nearest pixel).
    public func resizedShorterSide(_ side: Int) -> Image8 {
        guard height > 0, width > 0, side > 0 else { return self }
        if height <= width {
            let w = max(1, Int((Double(width) * Double(side) / Double(height)).rounded()))
            return resized(height: side, width: w)
        } else {
            let h = max(1, Int((Double(height) * Double(side) / Double(width)).rounded()))
            return resized(height: h, width: side)
        }
    }

    /// The central height × width region (offsets rounded down, as Caffe's test-time
    /// crop). Sizes larger than the image are clipped to it.
    public func centerCropped(height cropHeight: Int, width cropWidth: Int) -> Image8 {
        let ch = min(max(0, cropHeight), height), cw = min(max(0, cropWidth), width)
        if ch == height && cw == width { return self }
        let top = (height - ch) / 2, left = (width - cw) / 2
        var out = [UInt8]()
        out.reserveCapacity(channels * ch * cw)
        for c in 0..<channels {
            for y in 0..<ch {
                let start = (c * height + top + y) * width + left
                out.append(contentsOf: pixels[start..<(start + cw)])
            }
        }
        return Image8(channels: channels, height: ch, width: cw, pixels: out)
    }
}
