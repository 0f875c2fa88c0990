import ArgumentParser
import SwiftCaffe

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a net's layers, shapes, parameters, multiply-adds and memory.",
        discussion: """
            Reads a net prototxt (modern or legacy V1, deploy or train_val) and prints, for \
            each layer in execution order, its wiring, top shapes, learnable parameters, \
            multiply-adds per image and activation memory, then the totals.

            Example: swiftcaffe summary models/bvlc_alexnet/deploy.prototxt
            """
    )

    @Argument(help: "The net definition (.prototxt).")
    var net: String

    @OptionGroup var state: NetStateOptions

    func run() throws {
        let definition = try NetDefinition.load(path: net)
        let built = try NetBuilder.build(definition, options: state.buildOptions(inspectOnly: true))
        print(NetSummary(net: built).render())
    }
}
