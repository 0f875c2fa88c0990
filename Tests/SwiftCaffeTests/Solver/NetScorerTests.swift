import XCTest
@testable import SwiftCaffe

/// The scorer behind the solver's test pass and `swiftcaffe test`: sums, means, loss
/// weights and Caffe's wording.
final class NetScorerTests: XCTestCase {
    /// Outputs in Caffe's (name) order: "extra" (2 values of 3, not a loss) and "loss",
    /// a Euclidean loss of weight 0.5 over 2×3 differences of 1: 6 / (2·2) = 1.5.
    static let net = """
        layer { name: "data" type: "DummyData" top: "a" top: "b" top: "extra"
          dummy_data_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 3 } shape { dim: 2 }
            data_filler { type: "constant" value: 2 } data_filler { type: "constant" value: 1 }
            data_filler { type: "constant" value: 3 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "a" bottom: "b" top: "loss" loss_weight: 0.5 }
        """

    func testSumsMeansAndWording() throws {
        let net = try TestSupport.buildNet(Self.net)
        var scorer = NetScorer(net: net)
        XCTAssertEqual(scorer.lossWeights[net.blobNames.firstIndex(of: "loss")!], 0.5)
        XCTAssertEqual(scorer.lossWeights[net.blobNames.firstIndex(of: "extra")!], 0)
        var seen: [String] = []
        try scorer.scoreBatch { seen.append($0.description) }
        try scorer.scoreBatch()
        XCTAssertEqual(seen, ["extra = 3", "extra = 3", "loss = 1.5 (* 0.5 = 0.75 loss)"])
        XCTAssertEqual(scorer.batches, 2)
        XCTAssertEqual(scorer.sums, [6, 6, 3])
        XCTAssertEqual(scorer.lossSum, 1.5)
        XCTAssertEqual(scorer.meanLoss, 0.75)
        XCTAssertEqual(scorer.means.map(\.description), seen)
        XCTAssertEqual(scorer.current.map(\.description), seen)
        scorer.reset()
        XCTAssertEqual(scorer.batches, 0)
        XCTAssertEqual(scorer.sums, [0, 0, 0])
        XCTAssertEqual(scorer.lossSum, 0)
    }
}
