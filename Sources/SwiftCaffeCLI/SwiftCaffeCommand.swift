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
                      ConvertImageset.self, ComputeImageMean.self, Compare.self, Draw.self]
    )

    static func main() {
        // Before anything else: OpenBLAS may have picked slow kernels for this CPU.
        BLASCoreType.restartWithBetterKernelsIfNeeded()
        main(nil)
    }
}

/// Runs a command body and turns a `SwiftCaffeError` into a readable message and a
/// non-zero exit status — never a stack trace.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as SwiftCaffeError {
        printError(error.description)
        throw ExitCode(error.kind == .usage ? 64 : 1)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
