import Foundation

/// A window file, the input of Caffe's WindowData layer (R-CNN fine-tuning): for each
/// image, in Caffe's words,
///
///     # image_index
///     img_path
///     channels
///     height
///     width
///     num_windows
///     class_index overlap x1 y1 x2 y2     (num_windows lines; corners inclusive, 0-based)
///
/// Windows whose overlap is at least `fg_threshold` are foreground (their class must be
/// above 0); those below `bg_threshold` are background, their label forced to 0; the
/// others are not used. Errors name the file, the line and the field.
struct WindowFile {
    struct ImageEntry: Equatable {
        var path: String
        var channels: Int
        var height: Int
        var width: Int
    }

    struct Window: Equatable {
        /// Index into `images`.
        var image: Int
        var label: Int
        var overlap: Float
        var x1: Int, y1: Int, x2: Int, y2: Int
        /// Line of the window file (for errors).
        var line: Int
    }

    let path: String
    var images: [ImageEntry] = []
    var foreground: [Window] = []
    var background: [Window] = []

    static let hint = "a window file repeats '# image_index', the image path, channels, height, width, "
        + "the number of windows, then one 'class overlap x1 y1 x2 y2' line per window"

    init(path: String, fgThreshold: Float, bgThreshold: Float) throws {
        self.path = path
        let text = String(decoding: try InputFile.read(path, what: "window file", hint: Self.hint), as: UTF8.self)
        // Caffe reads whitespace-separated tokens; keep each token's line for errors.
        var tokens: [(text: Substring, line: Int)] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                tokens.append((token, n + 1))
            }
        }
        guard !tokens.isEmpty else {
            throw SwiftCaffeError(.io, "window file '\(path)' is empty", hint: Self.hint)
        }
        var next = 0
        func token(_ what: String) throws -> (text: Substring, line: Int) {
            guard next < tokens.count else {
                let line = tokens.last?.line ?? 1
                throw SwiftCaffeError(.io, "\(path):\(line): the window file ends where \(what) should be",
                                      hint: Self.hint)
            }
            defer { next += 1 }
            return tokens[next]
        }
        func number<T: LosslessStringConvertible>(_ what: String, as: T.Type) throws -> (T, Int) {
            let t = try token(what)
            guard let value = T(String(t.text)) else {
                throw SwiftCaffeError(.io, "\(path):\(t.line): \(what) should be a number, not '\(t.text)'",
                                      hint: Self.hint)
            }
            return (value, t.line)
        }
        while next < tokens.count {
            let hash = try token("'#'")
            guard hash.text == "#" else {
                throw SwiftCaffeError(.io, "\(path):\(hash.line): expected '# image_index', found '\(hash.text)'",
                                      hint: Self.hint)
            }
            let (index, indexLine) = try number("the image index", as: Int.self)
            guard index == images.count else {
                throw SwiftCaffeError(.io, "\(path):\(indexLine): image index \(index), expected \(images.count)",
                                      hint: "images are numbered 0, 1, 2 … in the order they appear")
            }
            let imagePath = String(try token("the image path").text)
            let (channels, channelsLine) = try number("channels", as: Int.self)
            guard channels == 3 else {
                throw SwiftCaffeError(.io, "\(path):\(channelsLine): image '\(imagePath)' has \(channels) channels",
                                      hint: "WindowData decodes every image in colour (B, G, R), as Caffe: "
                                          + "the window file should say 3")
            }
            let (height, _) = try number("height", as: Int.self)
            let (width, _) = try number("width", as: Int.self)
            images.append(ImageEntry(path: imagePath, channels: channels, height: height, width: width))
            let (count, countLine) = try number("the number of windows", as: Int.self)
            guard count >= 0 else {
                throw SwiftCaffeError(.io, "\(path):\(countLine): negative number of windows (\(count))")
            }
            for _ in 0..<count {
                let (label, line) = try number("a window's class", as: Int.self)
                let (overlap, _) = try number("a window's overlap", as: Float.self)
                let (x1, _) = try number("x1", as: Int.self)
                let (y1, _) = try number("y1", as: Int.self)
                let (x2, _) = try number("x2", as: Int.self)
                let (y2, _) = try number("y2", as: Int.self)
                guard x1 <= x2, y1 <= y2 else {
                    throw SwiftCaffeError(.io, "\(path):\(line): window (\(x1), \(y1))–(\(x2), \(y2)) is empty",
                                          hint: "give the corners as x1 y1 x2 y2 with x1 ≤ x2 and y1 ≤ y2")
                }
                var window = Window(image: index, label: label, overlap: overlap,
                                    x1: x1, y1: y1, x2: x2, y2: y2, line: line)
                if overlap >= fgThreshold {
                    guard label > 0 else {
                        throw SwiftCaffeError(.io, "\(path):\(line): a foreground window (overlap \(overlap) ≥ "
                                              + "fg_threshold \(fgThreshold)) has class \(label)",
                                              hint: "class 0 is the background: object classes start at 1")
                    }
                    foreground.append(window)
                } else if overlap < bgThreshold {
                    window.label = 0
                    window.overlap = 0
                    background.append(window)
                }
            }
        }
    }
}
