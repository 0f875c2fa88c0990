import Foundation
import Synchronization
import XCTest

/// The built `swiftcaffe` executable, run as a user runs it (CLI tests and the
/// data-tool tests that go through the command line).
enum SwiftCaffeExecutable {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// The executable sits next to the test bundle in the build folder.
    static var executable: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle(for: Marker.self).bundleURL,
            Bundle(for: Marker.self).bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("swiftcaffe") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Runs `swiftcaffe` with `arguments` in `directory` (the package root by default),
    /// with `environment` instead of this process's when given.
    /// Standard error is drained on another thread so that
    /// neither pipe can fill up and stall the process.
    static func run(_ arguments: [String], in directory: URL = TestSupport.packageRoot,
                    environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errBytes = Bytes()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBytes.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBytes.data, as: UTF8.self))
    }

    /// What a reader thread read from a pipe, handed to the test's thread.
    final class Bytes: Sendable {
        private let storage = Mutex(Data())
        var data: Data {
            get { storage.withLock { $0 } }
            set { storage.withLock { $0 = newValue } }
        }
    }

    /// A class of this bundle, to find the bundle's folder.
    private final class Marker {}
}
