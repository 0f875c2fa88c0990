import Foundation
import XCTest

/// Debian's `chromium` run headless: the DOM it builds from a page, and a screenshot.
/// Each run gets its own profile folder, so parallel runs do not share a lock.
enum HeadlessChromium {
    static var executable: String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let path = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    /// Skips the test, saying why, when no Chromium is installed.
    static func require() throws -> String {
        guard let path = executable else {
            throw XCTSkip("chromium is not installed (Debian package 'chromium'): the HTML report is not checked in a browser")
        }
        return path
    }

    /// Runs chromium headless on `page` with `arguments`; returns standard output.
    static func run(_ arguments: [String], page: URL, profile: URL, timeout: TimeInterval = 180) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try require())
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--user-data-dir=\(profile.path)"] + arguments + [page.absoluteString]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let errBytes = SwiftCaffeExecutable.Bytes()
        let outBytes = SwiftCaffeExecutable.Bytes()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBytes.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            outBytes.data = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        try process.run()
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            XCTFail("chromium did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return String(decoding: outBytes.data, as: UTF8.self)
    }
}
