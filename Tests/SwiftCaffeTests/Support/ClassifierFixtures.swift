import CaffeProto
import Foundation
@testable import SwiftCaffe

/// Tiny nets with weights set by hand, so the class of an image and the probabilities of
/// every patch can be worked out on paper (classify and 10-crop tests).
enum ClassifierFixtures {
    /// A deploy net: a 3 × 2 × 2 colour patch → InnerProduct "ip" (3 classes) → Softmax "prob".
    /// `colourWeights` make class k the brightness of channel k (B, G, R).
    static let colourDeploy = """
        name: "colours"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 10 dim: 3 dim: 2 dim: 2 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
        layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
        """

    /// The same net in the legacy deploy form (`input:` / `input_dim:`), without the Softmax.
    static let legacyColourDeploy = """
        name: "colours"
        input: "data" input_dim: 1 input_dim: 3 input_dim: 2 input_dim: 2
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
        """

    /// Class k scores 0.01 · (sum of channel k over the 4 pixels): a pure colour wins by
    /// 0.01 · 4 · 255 = 10.2.
    static func colourWeights() -> (weights: [Float], bias: [Float]) {
        var weights = [Float](repeating: 0, count: 3 * 12)
        for k in 0..<3 {
            for i in 0..<4 { weights[k * 12 + k * 4 + i] = 0.01 }
        }
        return (weights, [0, 0, 0])
    }

    /// Writes `net`'s layers with the given InnerProduct "ip" parameters as a .caffemodel.
    static func writeWeights(net text: String, weights: [Float], bias: [Float], to path: String) throws {
        let net = try TestSupport.buildNet(text)
        guard let ip = net.layer(named: "ip") else { throw SwiftCaffeError(.semantic, "no layer 'ip'") }
        ip.blobs[0].setData(weights)
        ip.blobs[1].setData(bias)
        try net.toProto().serializedData().write(to: URL(fileURLWithPath: path))
    }

    /// A PNG of `width` × `height` pixels of one colour, given as R, G, B (the file's order).
    static func writeSolidPNG(_ path: String, red: UInt8, green: UInt8, blue: UInt8, width: Int = 5,
                              height: Int = 4) throws {
        let row = (0..<width).flatMap { _ in [red, green, blue] }
        let bytes = RawPNG.make(width: width, height: height, colorType: 2, rows: Array(repeating: row, count: height))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Writes an LMDB of 1 × 3 × 4 raw records: record i has pixel (y, x) = 10y + x + i and label i % 3.
    static func writeDatabase(_ path: String, count: Int) throws {
        let db = try LMDBDatabase(path: path, mode: .create)
        for i in 0..<count {
            var d = Caffe_Datum()
            (d.channels, d.height, d.width) = (1, 3, 4)
            d.data = Data((0..<12).map { UInt8(10 * ($0 / 4) + $0 % 4 + i) })
            d.label = Int32(i % 3)
            try db.put(key: String(format: "%08d", i), value: try d.serializedData())
        }
        try db.commit()
        try db.close()
    }

    /// record `i` of `writeDatabase` as rows.
    static func record(_ i: Int) -> [[Float]] {
        (0..<3).map { y in (0..<4).map { x in Float(10 * y + x + i) } }
    }

    /// A TEST net on that database: crop 2 → InnerProduct "ip" (3 classes on 4 inputs) →
    /// Accuracy and SoftmaxWithLoss.
    static func scoringNet(source: String, batch: Int = 2) -> String {
        """
        name: "tiny"
        layer { name: "data" type: "Data" top: "data" top: "label"
                transform_param { crop_size: 2 mean_value: 10 scale: 0.1 }
                data_param { source: "\(source)" batch_size: \(batch) backend: LMDB } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
        layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """
    }

    /// Weights for `scoringNet` under which the corners score differently: class 0 likes
    /// the left column, class 1 the right one, class 2 the bottom row.
    static let scoringWeights: [Float] = [1, -1, 1, -1,   -1, 1, -1, 1,   -0.5, -0.5, 1, 1]
    static let scoringBias: [Float] = [0, 0.2, -0.1]

    /// The ten patches of a 3 × 4 image with crop 2, written out by hand: offsets (top, left)
    /// of top-left, top-right, bottom-left, bottom-right, centre, then the same mirrored.
    static func handCrops(_ image: [[Float]]) -> [[Float]] {
        let offsets = [(0, 0), (0, 2), (1, 0), (1, 2), (0, 1)]
        let plain = offsets.map { t, l in [image[t][l], image[t][l + 1], image[t + 1][l], image[t + 1][l + 1]] }
        let mirrored = offsets.map { t, l in [image[t][l + 1], image[t][l], image[t + 1][l + 1], image[t + 1][l]] }
        return plain + mirrored
    }

    static func softmax(_ scores: [Float]) -> [Float] {
        let top = scores.max() ?? 0
        let e = scores.map { Foundation.exp(Double($0 - top)) }
        let total = e.reduce(0, +)
        return e.map { Float($0 / total) }
    }

    /// `weights` (classes × inputs) · x + bias.
    static func scores(_ x: [Float], weights: [Float], bias: [Float]) -> [Float] {
        bias.indices.map { k in bias[k] + x.indices.reduce(Float(0)) { $0 + weights[k * x.count + $1] * x[$1] } }
    }
}
