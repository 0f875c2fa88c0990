import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import SwiftCaffe

/// The data tools' progress bar, drawn only when stderr is a terminal: here a
/// pseudo-terminal, so the test sees exactly what a user's terminal gets.
final class ProgressCLITests: XCTestCase {
    /// Runs `swiftcaffe` with stderr on a pseudo-terminal (raw mode: "\n" is not turned
    /// into "\r\n") and stdout on a pipe; returns the status and both texts.
    func runOnTerminal(_ arguments: [String]) throws -> SwiftCaffeExecutable.Result {
        var master: Int32 = -1, slave: Int32 = -1
        XCTAssertEqual(openpty(&master, &slave, nil, nil, nil), 0, "openpty")
        defer { close(master) }
        var mode = termios()
        tcgetattr(slave, &mode)
        cfmakeraw(&mode)
        tcsetattr(slave, TCSANOW, &mode)

        let process = Process()
        process.executableURL = SwiftCaffeExecutable.executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        try process.run()
        close(slave)  // the child holds its own copy: reading ends once it exits
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var terminal = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(master, &buffer, buffer.count)   // -1 (EIO) once the child's side is closed
            if n <= 0 { break }
            terminal.append(contentsOf: buffer[0..<n])
        }
        return .init(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: terminal, as: UTF8.self))
    }

    func testTheBarIsDrawnAndItsLineEnded() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let images = dir.appendingPathComponent("images-idx3-ubyte"), labels = dir.appendingPathComponent("labels-idx1-ubyte")
        try IDXTestFiles.write(IDXTestFiles.imageBytes(count: 2), to: images)
        try IDXTestFiles.write(IDXTestFiles.labelBytes(count: 2), to: labels)
        let r = try runOnTerminal(["convert-mnist", images.path, labels.path, dir.appendingPathComponent("db").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Processed 2 files.\n")
        XCTAssertEqual(r.stderr, "\r[" + String(repeating: "#", count: 40) + "] 2/2\n")
    }

    /// A conversion that fails after the bar was drawn ends the bar's line first: the
    /// error is printed on a line of its own, not after "1000/1001".
    func testAnErrorMidConversionEndsTheBarsLine() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let png = try ImageCodec.encode(TestImages.noise(channels: 3, height: 2, width: 2), format: .png)
        try Data(png).write(to: dir.appendingPathComponent("a.png"))
        try Data(png.prefix(png.count / 2)).write(to: dir.appendingPathComponent("broken.png"))
        // The first 1000 records are committed (and the bar drawn) before the broken image is read.
        let list = dir.appendingPathComponent("list.txt")
        try (String(repeating: "a.png 0\n", count: 1000) + "broken.png 1\n").write(to: list, atomically: true, encoding: .utf8)
        let r = try runOnTerminal(["convert-imageset", dir.path, list.path, dir.appendingPathComponent("db").path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "")
        let bar = "\r[" + String(repeating: "#", count: 39) + " ] 1000/1001\n"
        XCTAssertTrue(r.stderr.hasPrefix(bar), r.stderr.debugDescription)
        let error = r.stderr.dropFirst(bar.count)
        XCTAssertTrue(error.contains("error: ") && error.contains("broken.png"), r.stderr.debugDescription)
        XCTAssertFalse(error.contains("\r"), r.stderr.debugDescription)
    }
}
