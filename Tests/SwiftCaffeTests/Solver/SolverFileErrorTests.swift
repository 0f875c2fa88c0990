import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Errors about a solver file's fields point at the field in the file, as net errors do,
/// and a net path that does not resolve says where Caffe looks for it.
final class SolverFileErrorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        try SolverTests.randomNet.write(to: directory.appendingPathComponent("net.prototxt"), atomically: true, encoding: .utf8)
    }

    var solverPath: String { directory.appendingPathComponent("solver.prototxt").path }
    /// The test folder's net by its absolute path: found from any working directory.
    var net: String { "net: \"\(directory.appendingPathComponent("net.prototxt").path)\"" }

    func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: solverPath, line: line, column: column) }

    /// The error of building the solver written as `text` to solver.prototxt.
    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> SwiftCaffeError? {
        try text.write(toFile: solverPath, atomically: true, encoding: .utf8)
        let path = solverPath
        return TestSupport.error({
            let definition = try Solver.load(path: path)
            _ = try Solver.make(definition: definition, random: RandomSource(seed: 1),
                                log: try SolverLog(echo: false, record: true))
        }, file: file, line: line)
    }

    func testUnknownLearningRatePolicyPointsAtTheFieldWithDidYouMean() throws {
        let e = try error("""
            \(net)
            base_lr: 0.01 momentum: 0.9
              lr_policy: "stepp" stepsize: 2
            """)
        XCTAssertEqual(e?.location, at(3, 3))
        XCTAssertEqual(e?.field, "lr_policy")
        XCTAssertEqual(e?.message, "unknown learning rate policy 'stepp'")
        XCTAssertEqual(e?.hint, "did you mean 'step'?")
        XCTAssertEqual(e?.description.components(separatedBy: "\n").first,
                       "\(solverPath):3:3: error: unknown learning rate policy 'stepp'")
    }

    func testBadMomentumTypeAndStepvalueOrderCarryTheirPositions() throws {
        let momentum = try error("""
            \(net)
            base_lr: 0.01 lr_policy: "fixed"
            type: "AdaGrad" momentum: 0.9
            """)
        XCTAssertEqual(momentum?.field, "momentum")
        XCTAssertEqual(momentum?.location, at(3, 17))
        XCTAssertEqual(momentum?.message, "momentum cannot be used with AdaGrad (got 0.9)")

        let type = try error("""
            \(net)
            base_lr: 0.01 lr_policy: "fixed" type: "Adamm"
            """)
        XCTAssertEqual(type?.field, "type")
        XCTAssertEqual(type?.location, at(2, 34))
        XCTAssertEqual(type?.hint, "did you mean 'Adam'?")

        let order = try error("""
            \(net)
            base_lr: 0.01 lr_policy: "multistep" gamma: 0.5
            stepvalue: 10
            stepvalue: 30
            stepvalue: 20
            """)
        XCTAssertEqual(order?.field, "stepvalue[2]")
        XCTAssertEqual(order?.location, at(5, 1))
        XCTAssertEqual(order?.message, "stepvalue 20 does not come after the previous stepvalue 30")

        let list = try error("""
            \(net)
            base_lr: 0.01 lr_policy: "multistep" gamma: 0.5 stepvalue: [10, 10]
            """)
        XCTAssertEqual(list?.field, "stepvalue[1]")
        XCTAssertEqual(list?.location, at(2, 65))
    }

    func testMissingRequiredFieldPointsAtTheFile() throws {
        let e = try error("\(net)\nbase_lr: 0.01")
        XCTAssertEqual(e?.field, "lr_policy")
        XCTAssertEqual(e?.location, at(1, 1))
    }

    func testNetPathRelativeToTheSolverFolderIsSuggested() throws {
        // The tests run in the package root, where there is no net.prototxt.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "net.prototxt"))
        let e = try error("""
            base_lr: 0.01 lr_policy: "fixed"
            net: "net.prototxt"
            """)
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(e?.kind, .io)
        XCTAssertEqual(e?.field, "net")
        XCTAssertEqual(e?.location, at(2, 1))
        XCTAssertEqual(e?.message, "the net file 'net.prototxt' does not exist relative to the working directory '\(cwd)'")
        XCTAssertEqual(e?.hint, "Caffe resolves net paths from the working directory, not from the solver file's folder; "
                       + "the file is next to the solver: write 'net: \"\(directory.path)/net.prototxt\"'")
    }

    func testMissingTestNetWithoutAFileNextToTheSolver() throws {
        let e = try error("""
            base_lr: 0.01 lr_policy: "fixed" test_iter: 1 test_iter: 1 test_interval: 1
            train_\(net)
            test_\(net)
            test_net: "absent.prototxt"
            """)
        XCTAssertEqual(e?.field, "test_net[1]")
        XCTAssertEqual(e?.location, at(4, 1))
        XCTAssertEqual(e?.message, "the test_net file 'absent.prototxt' does not exist relative to the working directory "
                       + "'\(FileManager.default.currentDirectoryPath)'")
        XCTAssertEqual(e?.hint, "Caffe resolves test_net paths from the working directory, not from the solver file's folder")

        let absolute = try error("base_lr: 0.01 lr_policy: \"fixed\" net: \"/nonexistent/net.prototxt\"")
        XCTAssertEqual(absolute?.message, "the net file '/nonexistent/net.prototxt' does not exist")
        XCTAssertEqual(absolute?.location, at(1, 34))
    }

    func testErrorsInsideTheNetKeepTheNetsPosition() throws {
        let netPath = directory.appendingPathComponent("net.prototxt").path
        try SolverTests.randomNet.replacingOccurrences(of: "num_output: 8", with: "num_output: 0")
            .write(toFile: netPath, atomically: true, encoding: .utf8)
        let e = try error("\(net)\nbase_lr: 0.01 lr_policy: \"fixed\"")
        XCTAssertEqual(e?.location?.file, netPath)
        XCTAssertNotNil(e?.layer)
    }
}
