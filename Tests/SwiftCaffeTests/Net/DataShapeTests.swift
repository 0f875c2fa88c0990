import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Nets whose databases do not exist yet (Caffe's MNIST and CIFAR-10 train_test nets)
/// built for inspection: with given data shapes, or with the unknown shape named
/// and the layers that do not depend on it shaped.
final class DataShapeTests: XCTestCase {
    func options(_ phase: Caffe_Phase, shapes: DataShapes = DataShapes(), allowUnknown: Bool = false) -> NetBuildOptions {
        var options = NetBuildOptions(phase: phase, inspectOnly: true)
        options.dataShapes = shapes
        options.allowsUnknownShapes = allowUnknown
        return options
    }

    func testWithoutAShapeTheBuildStopsAndTheHintNamesTheOption() {
        let e = TestSupport.error { _ = try TestSupport.buildNet(CaffeExampleNets.lenet, options: self.options(.train)) }
        XCTAssertEqual(e?.message, "cannot infer the shape of 'data': the database 'examples/mnist/mnist_train_lmdb' "
                       + "does not exist and transform_param has no crop_size")
        XCTAssertEqual(e?.layer, "mnist")
        XCTAssertTrue(e?.hint?.contains("--data-shape N,C,H,W") ?? false, "\(String(describing: e?.hint))")
    }

    func testAnUnknownShapeIsNamedAndTheOtherLayersAreStillListed() throws {
        let net = try TestSupport.buildNet(CaffeExampleNets.lenet, options: options(.test, allowUnknown: true))
        let summary = NetSummary(net: net)
        XCTAssertEqual(summary.rows.map(\.name), ["mnist", "label_mnist_1_split", "conv1", "pool1", "conv2", "pool2",
                                                 "ip1", "relu1", "ip2", "ip2_ip2_0_split", "accuracy", "loss"])
        let data = summary.rows[0]
        XCTAssertEqual(data.topShapeKnown, [false, true])
        XCTAssertEqual(data.topShapes[1], [100], "the label's shape is known: one per example")
        XCTAssertFalse(data.unshaped)
        XCTAssertEqual(summary.rows[1].topShapes, [[100], [100]], "the label's split does not depend on 'data'")
        XCTAssertFalse(summary.rows[1].unshaped)
        XCTAssertEqual(summary.rows.filter(\.unshaped).map(\.name),
                       ["conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2", "ip2_ip2_0_split", "accuracy", "loss"])
        XCTAssertEqual(summary.totalParameters, 0)
        XCTAssertTrue(net.notes.contains("mnist: cannot infer the shape of 'data': the database "
                                         + "'examples/mnist/mnist_test_lmdb' does not exist and transform_param has no crop_size"),
                      "\(net.notes)")
        XCTAssertTrue(net.notes.contains("the shape of 'data' is unknown, so these layers show '?': conv1, pool1, conv2, "
                                         + "pool2, ip1, relu1, ip2, ip2_ip2_0_split, accuracy, loss "
                                         + "(give it with --data-shape N,C,H,W)"), "\(net.notes)")
        let text = summary.render()
        let conv1 = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(" conv1 ") })
        XCTAssertEqual(conv1.split(separator: " ").suffix(4), ["?", "?", "?", "?"], "shape, params, mult-adds, memory")
        XCTAssertTrue(text.contains("Totals of the shaped layers only: 10 of 12 layers are not shaped."), text)
    }

    func testLeNetWithABareShape() throws {
        let net = try TestSupport.buildNet(CaffeExampleNets.lenet,
                                           options: options(.train, shapes: DataShapes(all: [64, 1, 28, 28])))
        let shapes = ["data", "label", "conv1", "pool1", "conv2", "pool2", "ip1", "ip2"].map { net.blob(named: $0)?.shape }
        XCTAssertEqual(shapes, [[64, 1, 28, 28], [64], [64, 20, 24, 24], [64, 20, 12, 12], [64, 50, 8, 8],
                                [64, 50, 4, 4], [64, 500], [64, 10]])
        // conv1 20·1·5·5+20, conv2 50·20·5·5+50, ip1 500·800+500, ip2 10·500+10.
        XCTAssertEqual(net.parameterCount, 520 + 25_050 + 400_500 + 5_010)
        XCTAssertEqual(NetSummary(net: net).totalParameters, 431_080)
        XCTAssertTrue(net.unknownShapes.isEmpty && net.unshapedLayers.isEmpty)
        XCTAssertTrue(net.notes.contains("mnist: 'data' given the shape 64x1x28x28 "
                                         + "(database 'examples/mnist/mnist_train_lmdb' not read)"), "\(net.notes)")
    }

    func testCIFAR10QuickWithANamedTopAndTheLabelGetsItsN() throws {
        let net = try TestSupport.buildNet(CaffeExampleNets.cifar10Quick,
                                           options: options(.test, shapes: DataShapes(byTop: ["data": [10, 3, 32, 32]])))
        XCTAssertEqual(net.blob(named: "label")?.shape, [10], "N of the given shape, not batch_size 100")
        XCTAssertEqual(net.blob(named: "pool1")?.shape, [10, 32, 16, 16])
        XCTAssertEqual(net.blob(named: "pool3")?.shape, [10, 64, 4, 4])
        XCTAssertEqual(net.blob(named: "ip2")?.shape, [10, 10])
        XCTAssertEqual(net.parameterCount, 2_432 + 25_632 + 51_264 + 65_600 + 650)
    }

    func testANamedTopThatNoDataLayerProducesIsAnError() {
        let e = TestSupport.error {
            _ = try TestSupport.buildNet(CaffeExampleNets.lenet,
                                         options: self.options(.train, shapes: DataShapes(byTop: ["images": [1, 1, 28, 28]]),
                                                               allowUnknown: true))
        }
        XCTAssertEqual(e?.message, "a data shape is given for 'images', but no data layer of this net produces it")
        XCTAssertEqual(e?.hint, "data tops of this net: data")
    }

    func testParsingShapes() throws {
        let shapes = try DataShapes(parsing: ["64,1,28,28", "pair=2x3x4x5"])
        XCTAssertEqual(shapes, DataShapes(all: [64, 1, 28, 28], byTop: ["pair": [2, 3, 4, 5]]))
        XCTAssertEqual(shapes.shape(forTop: "pair"), [2, 3, 4, 5])
        XCTAssertEqual(shapes.shape(forTop: "data"), [64, 1, 28, 28])
        for bad in [["64,a,28,28"], ["64,0,28"], ["=1,2"], [""], ["1,2", "3,4"], ["d=1", "d=2"]] {
            let e = TestSupport.error { _ = try DataShapes(parsing: bad) }
            XCTAssertEqual(e?.kind, .usage, "\(bad)")
            XCTAssertEqual(e?.field, "--data-shape", "\(bad)")
        }
    }

    func testTimingBuildRunsForwardAndBackwardWithTheGivenShape() throws {
        let (param, document) = try Prototxt.decode(Caffe_NetParameter.self, text: CaffeExampleNets.lenet, file: "lenet.prototxt")
        var options = NetBuildOptions(phase: .train)
        options.dataShapes = DataShapes(all: [2, 1, 28, 28])
        let (net, replaced) = try NetDefinition(param: param, document: document).buildForTiming(options: options)
        XCTAssertEqual(replaced, ["mnist", "mnist"], "both phases' data layers are replaced; the TRAIN one is kept")
        XCTAssertEqual(net.layers[0].type, "DummyData")
        XCTAssertEqual(net.blob(named: "data")?.shape, [2, 1, 28, 28])
        XCTAssertEqual(net.blob(named: "label")?.shape, [2])
        let loss = try net.forward()
        XCTAssertTrue(loss.isFinite)
        try net.backward()
        XCTAssertTrue(net.learnableParams.allSatisfy { $0.diffArray.allSatisfy(\.isFinite) })
    }
}
