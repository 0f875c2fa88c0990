/// A fixed region cut out of an example: `height` × `width` pixels from row `top` and
/// column `left`, flipped left–right when `mirrored` (output column w reads input column
/// `left + width − 1 − w`).
public struct CropWindow: Equatable, Sendable, CustomStringConvertible {
    public var top: Int
    public var left: Int
    public var height: Int
    public var width: Int
    public var mirrored: Bool

    public init(top: Int, left: Int, height: Int, width: Int, mirrored: Bool = false) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
        self.mirrored = mirrored
    }

    /// "top-left 227x227 at (0, 0)", "centre 227x227 at (14, 14), mirrored".
    public var description: String {
        "\(height)x\(width) at (\(top), \(left))" + (mirrored ? ", mirrored" : "")
    }
}

/// The AlexNet paper's test-time oversampling (§4.1: "the four corner patches and the
/// center patch as well as their horizontal reflections (hence ten patches in all)"),
/// in the order of Caffe's `caffe.io.oversample`: top-left, top-right, bottom-left,
/// bottom-right, centre, then the same five mirrored.
///
/// The centre patch starts at ((H − h) / 2, (W − w) / 2), rounded down — where Caffe's
/// DataTransformer puts its TEST-phase crop, so crop 4 is exactly the centre-crop input.
public enum TenCrop {
    /// Patches per example.
    public static let count = 10
    /// The index of the unmirrored centre patch: what a centre-crop test sees.
    public static let centre = 4
    /// The names of the five positions, in order.
    public static let positionNames = ["top-left", "top-right", "bottom-left", "bottom-right", "centre"]

    /// Patch `index` (0..<10) of a `cropHeight` × `cropWidth` crop from an image of
    /// `imageHeight` × `imageWidth` (the crop must fit).
    public static func window(_ index: Int, imageHeight: Int, imageWidth: Int,
                              cropHeight: Int, cropWidth: Int) -> CropWindow {
        let bottom = imageHeight - cropHeight, right = imageWidth - cropWidth
        let (top, left): (Int, Int)
        switch index % 5 {
        case 0: (top, left) = (0, 0)
        case 1: (top, left) = (0, right)
        case 2: (top, left) = (bottom, 0)
        case 3: (top, left) = (bottom, right)
        default: (top, left) = (bottom / 2, right / 2)
        }
        return CropWindow(top: top, left: left, height: cropHeight, width: cropWidth, mirrored: index >= 5)
    }

    /// All ten patches, in order.
    public static func windows(imageHeight: Int, imageWidth: Int, cropHeight: Int, cropWidth: Int) -> [CropWindow] {
        (0..<count).map {
            window($0, imageHeight: imageHeight, imageWidth: imageWidth, cropHeight: cropHeight, cropWidth: cropWidth)
        }
    }

    /// "centre", "top-left, mirrored": the name of patch `index`.
    public static func name(_ index: Int) -> String {
        positionNames[index % 5] + (index >= 5 ? ", mirrored" : "")
    }
}
