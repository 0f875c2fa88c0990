import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// Tests/SwiftCaffeTests (this file is in its Support/ folder).
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let caffeFixtures = fixtures.appendingPathComponent("caffe")

    static func model(_ path: String) -> String { packageRoot.appendingPathComponent("models/" + path).path }

    /// Builds a net from prototxt text, as if read from a file named `file`.
    static func buildNet(_ text: String, file: String = "test.prototxt",
                         options: NetBuildOptions = NetBuildOptions()) throws -> Net {
        let (param, document) = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: file)
        return try NetBuilder.build(try NetDefinition(param: param, document: document), options: options)
    }

    /// Runs `body`, which must throw a SwiftCaffeError, and returns it.
    static func error(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> SwiftCaffeError? {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as SwiftCaffeError {
            return error
        } catch {
            XCTFail("expected SwiftCaffeError, got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    /// A temporary directory removed when the test ends.
    static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftcaffe-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
