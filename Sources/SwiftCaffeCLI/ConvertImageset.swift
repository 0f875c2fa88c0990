import ArgumentParser
import Foundation
import SwiftCaffe

struct ConvertImageset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-imageset",
        abstract: "Convert a folder of JPEG/PNG images and a list of labels to an LMDB of Datum records.",
        discussion: """
            Like Caffe's convert_imageset: LISTFILE has one 'relative/path label' line per \
            image (the label after the last space); paths are relative to ROOT. Records are \
            keyed "%08d_<path>" and hold C×H×W BGR bytes (or, with --encoded, the JPEG/PNG \
            bytes). Unlike Caffe, an image that cannot be read stops the conversion with its \
            list line, and a failed conversion leaves nothing under DB.
            Example: swiftcaffe convert-imageset --shuffle --shorter_side 256 train/ train.txt train_lmdb
            """
    )

    @Argument(help: "The folder the listed paths are relative to (Caffe's ROOTFOLDER/).")
    var root: String

    @Argument(help: "The list file: one 'relative/path label' line per image.")
    var listFile: String

    @Argument(help: "The LMDB database directory to create (must not exist).")
    var db: String

    @Flag(name: .customLong("gray"), help: "Store one channel of luma instead of B, G, R.")
    var gray = false

    @Flag(name: .customLong("shuffle"), help: "Shuffle the list (a fixed seed: the same order every run).")
    var shuffle = false

    @OptionGroup var database: BackendOption

    @Option(name: .customLong("resize_height"), help: "Resize every image to this height (with --resize_width; 0: keep).")
    var resizeHeight = 0

    @Option(name: .customLong("resize_width"), help: "Resize every image to this width (with --resize_height; 0: keep).")
    var resizeWidth = 0

    @Option(name: .customLong("shorter_side"),
            help: "Resize keeping the aspect ratio so the shorter side is N, then crop the central N×N (AlexNet: 256).")
    var shorterSide = 0

    @Flag(name: .customLong("check_size"), help: "Fail unless every image has the same channels × height × width.")
    var checkSize = false

    @Flag(name: .customLong("encoded"), help: "Store the images encoded (JPEG/PNG bytes) rather than as raw pixels.")
    var encoded = false

    @Option(name: .customLong("encode_type"),
            help: "With --encoded: 'jpg' or 'png' (default: keep each file's own format).")
    var encodeType: String?

    func validate() throws {
        try reportingErrors {
            if let encodeType, Self.format(named: encodeType) == nil {
                throw SwiftCaffeError(.usage, "unsupported --encode_type '\(encodeType)'",
                                      hint: "use jpg or png, or omit it to keep each file's format")
            }
            if resizeHeight < 0 || resizeWidth < 0 || shorterSide < 0 {
                throw SwiftCaffeError(.usage, "--resize_height, --resize_width and --shorter_side cannot be negative")
            }
            if (resizeHeight == 0) != (resizeWidth == 0) {
                throw SwiftCaffeError(.usage, "--resize_height and --resize_width go together (got \(resizeHeight) "
                                      + "and \(resizeWidth))",
                                      hint: "give both, or use --shorter_side N to keep the aspect ratio")
            }
            if shorterSide > 0 && resizeHeight > 0 {
                throw SwiftCaffeError(.usage, "--shorter_side cannot be combined with --resize_height/--resize_width",
                                      hint: "pick one way of resizing")
            }
            if encodeType != nil && !encoded {
                throw SwiftCaffeError(.usage, "--encode_type needs --encoded", hint: "add --encoded to store encoded images")
            }
        }
    }

    func run() throws {
        var options = ImagesetConverter.Options()
        options.gray = gray
        options.shuffle = shuffle
        options.resizeHeight = resizeHeight
        options.resizeWidth = resizeWidth
        options.shorterSide = shorterSide
        options.checkSize = checkSize
        options.encoded = encoded
        options.encodeType = encodeType.flatMap(Self.format(named:))
        let count = try withProgress {
            try ImagesetConverter.convert(root: root, listFile: listFile, databasePath: db, options: options,
                                          progress: $0)
        }
        print("Processed \(count) files.")
    }

    /// --encode_type's format; nil for a name it does not know.
    private static func format(named name: String) -> ImageCodec.Format? {
        switch name.lowercased() {
        case "jpg", "jpeg": .jpg
        case "png": .png
        default: nil
        }
    }
}
