import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// 10-crop testing against the averaging done by hand: the ten patches of every record,
/// the net's scores of each, their softmax, the mean, then accuracy and loss from the mean.
final class TenCropScorerTests: XCTestCase {
    private var directory: URL!
    private var database: String!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        database = directory.appendingPathComponent("db").path
        try ClassifierFixtures.writeDatabase(database, count: 3)
    }

    private func scoringNet(_ text: String? = nil) throws -> Net {
        let net = try TestSupport.buildNet(text ?? ClassifierFixtures.scoringNet(source: database),
                                           options: NetBuildOptions(phase: .test))
        let ip = try XCTUnwrap(net.layer(named: "ip"))
        ip.blobs[0].setData(ClassifierFixtures.scoringWeights)
        ip.blobs[1].setData(ClassifierFixtures.scoringBias)
        return net
    }

    /// Accuracy and loss of record `r` from the mean softmax of its ten hand-cut patches.
    private func expected(record r: Int) -> (correct: Float, loss: Float) {
        var mean = [Float](repeating: 0, count: 3)
        for patch in ClassifierFixtures.handCrops(ClassifierFixtures.record(r)) {
            let x = patch.map { ($0 - 10) * 0.1 }   // mean_value 10, scale 0.1
            let p = ClassifierFixtures.softmax(ClassifierFixtures.scores(x, weights: ClassifierFixtures.scoringWeights,
                                                                         bias: ClassifierFixtures.scoringBias))
            for k in 0..<3 { mean[k] += p[k] / 10 }
        }
        let label = r % 3
        let best = mean.indices.max { mean[$0] < mean[$1] }!
        return (best == label ? 1 : 0, -Foundation.log(mean[label]))
    }

    func testOutputsComeFromTheAveragedSoftmaxOfTheTenPatches() throws {
        let scorer = try TenCropScorer(net: try scoringNet())
        XCTAssertEqual(scorer.scoreNames, ["ip"])
        var perBatch: [[String: (Float, Float)]] = []
        for _ in 0..<2 {
            var batch: [String: (Float, Float)] = [:]
            try scorer.scoreBatch { tenCrop, centre in batch[tenCrop.name] = (tenCrop.value, centre.value) }
            perBatch.append(batch)
        }
        // Batches: records 0, 1 then 2, 0 (the database loops).
        for (b, records) in [[0, 1], [2, 0]].enumerated() {
            let hand = records.map { expected(record: $0) }
            let accuracy = hand.map(\.correct).reduce(0, +) / 2
            let loss = hand.map(\.loss).reduce(0, +) / 2
            XCTAssertEqual(perBatch[b]["accuracy"]?.0 ?? .nan, accuracy, accuracy: 1e-6, "batch \(b)")
            XCTAssertEqual(perBatch[b]["loss"]?.0 ?? .nan, loss, accuracy: 1e-5, "batch \(b)")
        }
        let means = Dictionary(uniqueKeysWithValues: scorer.tenCrop.means.map { ($0.name, $0.value) })
        let all = [0, 1, 2, 0].map { expected(record: $0) }
        XCTAssertEqual(means["loss"] ?? .nan, all.map(\.loss).reduce(0, +) / 4, accuracy: 1e-5)
        XCTAssertEqual(scorer.tenCrop.meanLoss, all.map(\.loss).reduce(0, +) / 4, accuracy: 1e-5)

        // The centre-crop column is what a plain test of the same net computes.
        let plain = try scoringNet()
        var reference = NetScorer(net: plain)
        for _ in 0..<2 { try reference.scoreBatch() }
        for (a, b) in zip(scorer.centre.means, reference.means) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.value, b.value, accuracy: 1e-6, a.name)
        }
        XCTAssertEqual(scorer.centre.meanLoss, reference.meanLoss, accuracy: 1e-6)
        // The patches differ, so the two must too (a check that the ten were really averaged).
        XCTAssertNotEqual(means["loss"] ?? .nan, reference.meanLoss, accuracy: 1e-4)
    }

    /// When a Softmax layer makes the scores (probabilities into Accuracy), they are averaged as they are.
    func testProbabilitiesAreAveragedAsTheyAre() throws {
        let text = ClassifierFixtures.scoringNet(source: database)
            .replacingOccurrences(of: #"layer { name: "accuracy" type: "Accuracy" bottom: "ip""#,
                                  with: #"layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" } layer { name: "accuracy" type: "Accuracy" bottom: "prob""#)
        let scorer = try TenCropScorer(net: try scoringNet(text))
        XCTAssertEqual(scorer.scoreNames, ["prob"])
        var accuracy: Float = .nan
        try scorer.scoreBatch { tenCrop, _ in if tenCrop.name == "accuracy" { accuracy = tenCrop.value } }
        XCTAssertEqual(accuracy, (expected(record: 0).correct + expected(record: 1).correct) / 2)
    }

    func testNetsItCannotOversampleAreClearErrors() throws {
        let noAccuracy = try scoringNet(ClassifierFixtures.scoringNet(source: database)
            .components(separatedBy: "\n").filter { !$0.contains("Accuracy") && !$0.contains("SoftmaxWithLoss") }
            .joined(separator: "\n"))
        let none = TestSupport.error { _ = try TenCropScorer(net: noAccuracy) }
        XCTAssertTrue(none?.message.contains("Accuracy or SoftmaxWithLoss") ?? false, "\(String(describing: none))")

        let deploy = try TestSupport.buildNet(ClassifierFixtures.colourDeploy)
        let noData = TestSupport.error { _ = try TenCropScorer(net: deploy) }
        XCTAssertTrue(noData?.message.contains("Data or ImageData") ?? false, "\(String(describing: noData))")

        let uncropped = try TestSupport.buildNet(ClassifierFixtures.scoringNet(source: database)
            .replacingOccurrences(of: "crop_size: 2 ", with: ""), options: NetBuildOptions(phase: .test))
        let noCrop = TestSupport.error { _ = try TenCropScorer(net: uncropped) }
        XCTAssertEqual(noCrop?.field, "transform_param.crop_size")
        XCTAssertEqual(noCrop?.layer, "data")
    }
}
