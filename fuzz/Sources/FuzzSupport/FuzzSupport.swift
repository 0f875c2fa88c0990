import CFuzzDriver
import Foundation
import SwiftCaffe

/// What every harness shares: the input as bytes or as a file (most readers take a
/// path, as users give them one), and the rule that decides what is a bug.
///
/// The rule: a reader may reject any input, but only with a `SwiftCaffeError` (the
/// project's user-facing error, which names the file and says what is wrong). Any
/// other thrown error, a trap, a sanitizer report, a leak, a timeout or running past
/// the memory limit is a bug.
public enum Fuzz {
    /// The input bytes libFuzzer passed.
    public static func bytes(_ start: UnsafeRawPointer, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// A private scratch folder on tmpfs (removed at exit is not needed: one per process).
    public static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = base + "/swiftcaffe-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Fuzz.scratch) }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch folder and returns its path.
    public static func file(_ bytes: [UInt8], name: String) -> String {
        let path = scratch + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { fatalError("fuzz harness: cannot write \(path)") }
        var written = 0
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                guard n > 0 else { fatalError("fuzz harness: short write to \(path)") }
                written += n
            }
        }
        close(fd)
        return path
    }

    /// Runs `body`; a `SwiftCaffeError` is a correct rejection, anything else thrown
    /// is a bug and stops the fuzzer with the error.
    public static func expectingUserErrors(_ what: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch is SwiftCaffeError {
            // The input was rejected with a user-facing error: fine.
        } catch {
            fatalError("\(what) threw a non-SwiftCaffeError (users would see raw text): \(error)")
        }
    }

    /// True when an image of this header decodes to at most `limit` bytes. Harnesses
    /// skip decoding larger ones: a 100-byte header may promise a 30000×30000 image,
    /// which the decoder rightly allocates (up to ImageCodec.maxDecodedBytes) and
    /// fills — correct, but slow enough to drown the fuzzer in timeouts.
    public static func smallEnough(_ header: ImageCodec.Header, limit: Int = 1 << 22) -> Bool {
        let (pixels, o1) = header.height.multipliedReportingOverflow(by: header.width)
        return !o1 && pixels <= limit / 3
    }
}

extension Fuzz {
    /// A file of the main package's test fixtures (Tests/SwiftCaffeTests/Fixtures/…),
    /// found from this source file's place in the tree.
    public static func fixture(_ relative: String) -> String {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("Tests/SwiftCaffeTests/Fixtures/" + relative).path
        guard FileManager.default.fileExists(atPath: path) else { fatalError("fuzz harness: no fixture \(path)") }
        return path
    }

    /// Decodes image bytes as convert-imageset and the ImageData layer do, in every
    /// colour mode, then resizes the result (what --resize_height/--resize_width and
    /// --shorter_side do).
    public static func decodeImage(_ bytes: [UInt8]) {
        expectingUserErrors("the image decoder") {
            let header = try bytes.withUnsafeBytes { try ImageCodec.header($0, source: "fuzz-input") }
            guard smallEnough(header) else { return }
            for mode in [ImageColorMode.native, .gray, .color] {
                expectingUserErrors("the image decoder (\(mode))") {
                    let image = try ImageCodec.decode(bytes, mode: mode, source: "fuzz-input")
                    precondition(image.pixels.count == image.channels * image.height * image.width,
                                 "decoded image has \(image.pixels.count) bytes for \(image.shape)")
                    if mode == .native {
                        _ = image.resized(height: 7, width: 5)
                        _ = image.resizedShorterSide(4)
                    }
                }
            }
        }
    }
}

extension Fuzz {
    /// A harness's entry point: runs libFuzzer's driver with the command line.
    /// SwiftPM links an executable module's entry as `main` (`<Module>_main`), which a
    /// harness built with -parse-as-library must define; it hands over to libFuzzer.
    public static func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                            _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, test)
    }
}
