import ArgumentParser
import Foundation
import SwiftCaffe

@main
struct SwiftCaffeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftcaffe",
        abstract: "Train, inspect and compare Caffe networks from their prototxt files.",
        // Built after main's restart, so it names the kernels actually in use.
        version: "SwiftCaffe 0.1.0-dev (OpenBLAS kernels: \(BLASCoreType.current))",
        subcommands: [Summary.self, Time.self, Upgrade.self, Train.self, Test.self, ConvertMNIST.self,
                      ConvertImageset.self, ComputeImageMean.self, Compare.self, Draw.self, Plot.self, Report.self,
                      Layers.self, Classify.self]
    )

    /// ArgumentParser's `main`, with a `SwiftCaffeError` from any command's `run()`
    /// turned into a readable message and a non-zero exit status — never a stack trace.
    static func main() {
        // Before anything else: OpenBLAS may have picked slow kernels for this CPU, and
        // libgomp reads its waiting policy only when it loads (ThreadSettings).
        ThreadSettings.restartWithStartupEnvironmentIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as SwiftCaffeError {
            exit(withError: report(error))
        } catch {
            exit(withError: error)
        }
    }
}

/// For a command's `validate()`, whose errors ArgumentParser itself prints: a
/// `SwiftCaffeError` (a usage error naming a flag, with a hint) is printed as `run()`'s
/// errors are, and the command exits with its status.
func reportingErrors(_ checks: () throws -> Void) throws {
    do {
        try checks()
    } catch let error as SwiftCaffeError {
        throw report(error)
    }
}

/// Prints `error` on stderr; the exit status is 64 (EX_USAGE) for a usage error, 1 otherwise.
private func report(_ error: SwiftCaffeError) -> ExitCode {
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    return ExitCode(error.kind == .usage ? 64 : 1)
}
