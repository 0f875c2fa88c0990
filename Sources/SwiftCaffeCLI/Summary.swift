import ArgumentParser
import SwiftCaffe

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a net's layers, shapes, parameters, multiply-adds and memory.",
        discussion: """
            Reads a net prototxt (modern or legacy V1, deploy or train_val) and prints, for \
            each layer in execution order, its wiring, top shapes, learnable parameters, \
            multiply-adds per image and activation memory, then the totals. A data layer \
            whose database does not exist yet takes its shape from --data-shape; without \
            it, the layers that depend on it show '?'.

            Example: swiftcaffe summary models/bvlc_alexnet/deploy.prototxt
            Example: swiftcaffe summary --data-shape 64,1,28,28 lenet_train_test.prototxt
            """
    )

    @Argument(help: "The net definition (.prototxt).")
    var net: String

    @OptionGroup var state: NetStateOptions

    @OptionGroup var data: DataShapeOptions

    func validate() throws {
        try reportingErrors { _ = try data.shapes() }
    }

    func run() throws {
        let definition = try NetDefinition.load(path: net)
        var options = try data.applied(to: state.buildOptions(inspectOnly: true))
        options.allowsUnknownShapes = true  // say which shape is unknown, describe the rest
        let built = try NetBuilder.build(definition, options: options)
        print(NetSummary(net: built).render())
    }
}
