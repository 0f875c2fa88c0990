import ArgumentParser
import Foundation
import SwiftCaffe

@main
struct SwiftCaffeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftcaffe",
        abstract: "Train, inspect and compare Caffe networks from their prototxt files.",
        subcommands: [Summary.self, Time.self, Upgrade.self, Train.self, Test.self, ConvertMNIST.self,
                      ConvertImageset.self, ComputeImageMean.self]
    )
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
