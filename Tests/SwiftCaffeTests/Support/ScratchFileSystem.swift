import Foundation
import XCTest

/// A small tmpfs mounted for one test: a real file system that really fills up
/// (ENOSPC) or really refuses writes (remounted read-only), for the fault-injection
/// tests. Mounting needs root (CAP_SYS_ADMIN); elsewhere the tests that need it skip
/// with a message saying so. Unmounted when the test ends.
struct ScratchFileSystem {
    let url: URL
    var path: String { url.path }

    /// Mounts a tmpfs of `kilobytes` KiB (rounded up to whole pages by the kernel).
    static func mount(_ testCase: XCTestCase, kilobytes: Int) throws -> ScratchFileSystem {
        guard getuid() == 0 else {
            throw XCTSkip("fault injection with a small tmpfs needs root (mount -t tmpfs); run the tests as root")
        }
        let url = try TestSupport.temporaryDirectory(testCase).appendingPathComponent("fs")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let result = try command("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k,mode=0755", "tmpfs", url.path])
        guard result.status == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (\(result.output.trimmingCharacters(in: .whitespacesAndNewlines))); "
                          + "the fault-injection tests need CAP_SYS_ADMIN")
        }
        // Registered after the temporary directory's removal, so it runs first (LIFO).
        testCase.addTeardownBlock { _ = try? ScratchFileSystem.command("/usr/bin/umount", ["-l", url.path]) }
        return ScratchFileSystem(url: url)
    }

    /// Remounts read-only: writes fail with EROFS even for root (chmod would not stop root).
    func makeReadOnly() throws {
        let result = try Self.command("/usr/bin/mount", ["-o", "remount,ro", path])
        XCTAssertEqual(result.status, 0, result.output)
    }

    /// Writes zeros to "filler" until the file system refuses the next byte (ENOSPC).
    func fillUp() {
        let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return XCTFail("cannot create \(path)/filler") }
        defer { close(fd) }
        let zeros = [UInt8](repeating: 0, count: 4096)
        while zeros.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// The names in `folder` (relative to the mount), recursively, sorted.
    func contents(_ folder: String = "") throws -> [String] {
        let base = folder.isEmpty ? path : path + "/" + folder
        return (FileManager.default.subpaths(atPath: base) ?? []).sorted()
    }

    private static func command(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
