import Foundation
import XCTest
@testable import SwiftCaffe

/// Writes small IDX files (plain and gzipped) for the IDX and convert-mnist tests.
enum IDXTestFiles {
    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    /// `count` images of rows×columns; pixel j of image i is (i * 16 + j) & 0xff.
    static func imageBytes(count: Int, rows: Int = 4, columns: Int = 3, magic: UInt32 = 0x803,
                           dropping: Int = 0) -> [UInt8] {
        var bytes = bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns))
        for i in 0..<count {
            for j in 0..<(rows * columns) { bytes.append(UInt8((i * 16 + j) & 0xff)) }
        }
        return Array(bytes.dropLast(dropping))
    }

    static func pixels(image i: Int, rows: Int = 4, columns: Int = 3) -> [UInt8] {
        (0..<(rows * columns)).map { UInt8((i * 16 + $0) & 0xff) }
    }

    /// Labels (i * 3) % 10.
    static func labelBytes(count: Int, magic: UInt32 = 0x801) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(count)) + (0..<count).map { UInt8(($0 * 3) % 10) }
    }

    static func write(_ bytes: [UInt8], to url: URL, gzip: Bool = false) throws {
        if gzip {
            try Data(bytes).write(to: url.deletingPathExtension())
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-f", "-n", url.deletingPathExtension().path]
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
            XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "\(url.path) missing after gzip")
        } else {
            try Data(bytes).write(to: url)
        }
    }
}
