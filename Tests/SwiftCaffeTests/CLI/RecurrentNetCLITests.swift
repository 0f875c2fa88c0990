import Foundation
import XCTest
@testable import SwiftCaffe

/// An LSTM language model written as Caffe's LRCN / char-rnn examples are: words
/// T × N → Embed → LSTM (with the sequence-continuation input) → Dropout in place →
/// InnerProduct on axis 2 → SoftmaxWithLoss and Accuracy on axis 2 over T × N labels.
/// DummyData stands in for the HDF5 files of Caffe's example (constant words: the
/// point is the wiring, the shapes and that forward and backward run).
final class RecurrentNetCLITests: XCTestCase {
    static let lstmLanguageModel = """
        name: "lstm_language_model"
        layer {
          name: "data"
          type: "DummyData"
          top: "input_sentence"
          top: "cont_sentence"
          top: "target_sentence"
          dummy_data_param {
            shape { dim: 20 dim: 8 }
            data_filler { type: "constant" value: 3 }
            data_filler { type: "constant" value: 1 }
            data_filler { type: "constant" value: 4 }
          }
        }
        layer {
          name: "embedding"
          type: "Embed"
          bottom: "input_sentence"
          top: "embedded_input_sentence"
          param { lr_mult: 1 }
          embed_param {
            bias_term: false
            input_dim: 100
            num_output: 32
            weight_filler { type: "uniform" min: -0.08 max: 0.08 }
          }
        }
        layer {
          name: "lstm1"
          type: "LSTM"
          bottom: "embedded_input_sentence"
          bottom: "cont_sentence"
          top: "lstm1"
          recurrent_param {
            num_output: 64
            weight_filler { type: "uniform" min: -0.08 max: 0.08 }
            bias_filler { type: "constant" value: 0 }
          }
        }
        layer {
          name: "lstm1-drop"
          type: "Dropout"
          bottom: "lstm1"
          top: "lstm1"
          dropout_param { dropout_ratio: 0.5 }
          include { phase: TRAIN }
        }
        layer {
          name: "predict"
          type: "InnerProduct"
          bottom: "lstm1"
          top: "predict"
          param { lr_mult: 1 decay_mult: 1 }
          param { lr_mult: 2 decay_mult: 0 }
          inner_product_param {
            num_output: 100
            weight_filler { type: "uniform" min: -0.08 max: 0.08 }
            bias_filler { type: "constant" value: 0 }
            axis: 2
          }
        }
        layer {
          name: "cross_entropy_loss"
          type: "SoftmaxWithLoss"
          bottom: "predict"
          bottom: "target_sentence"
          top: "cross_entropy_loss"
          loss_weight: 20
          loss_param { ignore_label: -1 }
          softmax_param { axis: 2 }
        }
        layer {
          name: "accuracy"
          type: "Accuracy"
          bottom: "predict"
          bottom: "target_sentence"
          top: "accuracy"
          include { phase: TEST }
          accuracy_param { axis: 2 ignore_label: -1 }
        }
        """

    func write() throws -> (URL, String) {
        let dir = try TestSupport.temporaryDirectory(self)
        return (dir, try CaffeExampleNets.write(Self.lstmLanguageModel, as: "lstm_lm.prototxt", in: dir))
    }

    func testSummaryShowsTheSequenceShapesAndParameters() throws {
        let (dir, net) = try write()
        let r = try SwiftCaffeExecutable.run(["summary", "--phase", "TRAIN", net], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        for layer in ["embedding", "lstm1", "lstm1-drop", "predict", "cross_entropy_loss"] {
            XCTAssertTrue(r.stdout.contains(" \(layer) "), "\(layer) in\n\(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("20x8x32"), r.stdout)
        XCTAssertTrue(r.stdout.contains("20x8x64"), r.stdout)
        XCTAssertTrue(r.stdout.contains("20x8x100"), r.stdout)
        // Embed 100·32, LSTM 256·32 + 256 + 256·64, predict 64·100 + 100.
        XCTAssertTrue(r.stdout.contains("Parameters:     34,532 "), r.stdout)
    }

    func testTimeRunsForwardAndBackwardThroughTheLSTM() throws {
        let (dir, net) = try write()
        let r = try SwiftCaffeExecutable.run(["time", "--model", net, "--phase", "TRAIN", "--iterations", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("lstm1\tforward: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("lstm1\tbackward: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("embedding\tbackward: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("Average Forward-Backward: "), r.stdout)
    }

    /// The loss and softmax axis: 160 positions of 100 classes, near-uniform predictions
    /// at the start, so the loss is about 20 · ln 100; the test phase's accuracy is over
    /// the same positions.
    func testLossIsOverTheTimeAndStreamAxes() throws {
        let train = try TestSupport.buildNet(Self.lstmLanguageModel, options: NetBuildOptions(phase: .train))
        let loss = try train.forward()
        XCTAssertEqual(loss / 20, Float(log(100.0)), accuracy: 0.05)
        try train.backward()
        let lstm = try XCTUnwrap(train.layer(named: "lstm1"))
        XCTAssertGreaterThan(lstm.blobs[0].diffArray.map(abs).max() ?? 0, 0, "W_xc gets a gradient")
        let embedding = try XCTUnwrap(train.layer(named: "embedding"))
        XCTAssertGreaterThan(embedding.blobs[0].diffArray.map(abs).max() ?? 0, 0, "the embedding gets a gradient")

        let test = try TestSupport.buildNet(Self.lstmLanguageModel, options: NetBuildOptions(phase: .test))
        _ = try test.forward()
        XCTAssertEqual(try XCTUnwrap(test.blob(named: "accuracy")).shape, [])
    }
}
