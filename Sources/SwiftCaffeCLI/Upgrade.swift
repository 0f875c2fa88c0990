import ArgumentParser
import CaffeProto
import Foundation
import SwiftCaffe

struct Upgrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a legacy net (V1 'layers', deploy 'input_dim') in the modern form.",
        discussion: "Example: swiftcaffe upgrade old_deploy.prototxt deploy.prototxt"
    )

    @Argument(help: "The legacy net definition to read.")
    var input: String

    @Argument(help: "Where to write the modern net definition.")
    var output: String

    func run() throws {
        let definition = try NetDefinition.load(path: input)
        let text = "# Upgraded by swiftcaffe from \(input)\n" + definition.param.textFormatString()
        try AtomicFile.write(Data(text.utf8), to: output)
        if definition.upgradeNotes.isEmpty {
            print("\(input) was already in the modern form; wrote a copy to \(output)")
        } else {
            for note in definition.upgradeNotes { print(note) }
            print("Wrote \(output)")
        }
    }
}
