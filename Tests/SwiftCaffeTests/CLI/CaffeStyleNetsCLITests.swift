import Foundation
import XCTest
@testable import SwiftCaffe

/// Nets written the way Caffe's own examples are — an FCN-style segmenter (Deconvolution
/// + Crop), a siamese net (Slice, two towers sharing parameters by name,
/// ContrastiveLoss), HDF5 classification and regression (HDF5Data, InnerProduct,
/// SigmoidCrossEntropyLoss, EuclideanLoss) and R-CNN fine-tuning (WindowData and a small
/// CaffeNet) — each built by `swiftcaffe summary` and run forward and backward by
/// `swiftcaffe time` on data files the test writes.
final class CaffeStyleNetsCLITests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    /// An HDF5 file of `rows` rows with the given datasets (shapes after the row count),
    /// values from a smooth ramp (or 0/1 for `binary`), and its list file; returns the list's path.
    private func hdf5(_ name: String, rows: Int, _ datasets: [(String, [Int], binary: Bool)]) throws -> String {
        let file = directory.appendingPathComponent(name + ".h5")
        try HDF5TestFiles.write(datasets.map { dataset in
            let count: Int = rows * dataset.1.reduce(1, *)
            var values: [Double] = []
            for i in 0..<count {
                values.append(dataset.binary ? ((i * 7) % 3 == 0 ? 1 : 0) : sin(Double(i) * 0.37))
            }
            let shape: [Int] = [rows] + dataset.1
            return HDF5TestFiles.Dataset(name: dataset.0, shape: shape, values: values)
        }, to: file)
        let list = directory.appendingPathComponent(name + ".txt")
        try HDF5TestFiles.writeList([file], to: list)
        return list.path
    }

    private func summaryAndTime(_ text: String, name: String, expecting shapes: [String],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let net = try CaffeExampleNets.write(text, as: name, in: directory)
        let summary = try SwiftCaffeExecutable.run(["summary", "--phase", "TRAIN", net], in: directory)
        XCTAssertEqual(summary.status, 0, summary.stderr, file: file, line: line)
        for shape in shapes {
            XCTAssertTrue(summary.stdout.contains(shape), "\(shape) in\n\(summary.stdout)", file: file, line: line)
        }
        let time = try SwiftCaffeExecutable.run(["time", "--model", net, "--iterations", "2"], in: directory)
        XCTAssertEqual(time.status, 0, time.stderr, file: file, line: line)
        XCTAssertTrue(time.stdout.contains("Average Forward-Backward: "), time.stdout, file: file, line: line)
        XCTAssertFalse(time.stdout.contains("replaced by DummyData"), "the data layers read the test's files",
                       file: file, line: line)
    }

    func testFCNStyleSegmenter() throws {
        let source = try hdf5("segmentation", rows: 4, [("data", [3, 16, 16], false), ("label", [1, 16, 16], true)])
        try summaryAndTime("""
            name: "fcn_style"
            layer { name: "data" type: "HDF5Data" top: "data" top: "label"
                    include { phase: TRAIN } hdf5_data_param { source: "\(source)" batch_size: 2 shuffle: true } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                    param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                    convolution_param { num_output: 8 pad: 1 kernel_size: 3 stride: 1
                                        weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" } } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
                    pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "score" type: "Convolution" bottom: "pool1" top: "score"
                    param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                    convolution_param { num_output: 2 kernel_size: 1 weight_filler { type: "xavier" } } }
            layer { name: "upscore" type: "Deconvolution" bottom: "score" top: "upscore"
                    param { lr_mult: 0 }
                    convolution_param { num_output: 2 group: 2 kernel_size: 4 stride: 2 bias_term: false
                                        weight_filler { type: "bilinear" } } }
            layer { name: "crop" type: "Crop" bottom: "upscore" bottom: "data" top: "cropped"
                    crop_param { axis: 2 offset: 1 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "cropped" bottom: "label" top: "loss"
                    loss_param { ignore_label: 255 normalize: false } }
            """, name: "fcn_train.prototxt", expecting: ["2x2x8x8", "2x2x18x18", "2x2x16x16", "2x1x16x16"])
    }

    func testSiameseNetSharingParametersByName() throws {
        let source = try hdf5("pairs", rows: 6, [("pair_data", [2, 12, 12], false), ("sim", [], true)])
        func tower(_ suffix: String, bottom: String) -> String {
            """
            layer { name: "conv1\(suffix)" type: "Convolution" bottom: "\(bottom)" top: "conv1\(suffix)"
                    param { name: "conv1_w" lr_mult: 1 } param { name: "conv1_b" lr_mult: 2 }
                    convolution_param { num_output: 4 kernel_size: 5 stride: 1
                                        weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
            layer { name: "pool1\(suffix)" type: "Pooling" bottom: "conv1\(suffix)" top: "pool1\(suffix)"
                    pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "ip1\(suffix)" type: "InnerProduct" bottom: "pool1\(suffix)" top: "ip1\(suffix)"
                    param { name: "ip1_w" lr_mult: 1 } param { name: "ip1_b" lr_mult: 2 }
                    inner_product_param { num_output: 10 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
            layer { name: "relu1\(suffix)" type: "ReLU" bottom: "ip1\(suffix)" top: "ip1\(suffix)" }
            layer { name: "feat\(suffix)" type: "InnerProduct" bottom: "ip1\(suffix)" top: "feat\(suffix)"
                    param { name: "feat_w" lr_mult: 1 } param { name: "feat_b" lr_mult: 2 }
                    inner_product_param { num_output: 2 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
            """
        }
        try summaryAndTime("""
            name: "siamese_train_test"
            layer { name: "pair_data" type: "HDF5Data" top: "pair_data" top: "sim"
                    hdf5_data_param { source: "\(source)" batch_size: 3 } }
            layer { name: "slice_pair" type: "Slice" bottom: "pair_data" top: "data" top: "data_p"
                    slice_param { slice_dim: 1 slice_point: 1 } }
            \(tower("", bottom: "data"))
            \(tower("_p", bottom: "data_p"))
            layer { name: "loss" type: "ContrastiveLoss" bottom: "feat" bottom: "feat_p" bottom: "sim" top: "loss"
                    contrastive_loss_param { margin: 1 } }
            """, name: "siamese_train_test.prototxt", expecting: ["3x1x12x12", "3x4x8x8", "3x2"])
    }

    func testHDF5ClassificationAndRegression() throws {
        let train = try hdf5("train", rows: 10, [("data", [6], false), ("label", [3], true), ("target", [2], false)])
        try summaryAndTime("""
            name: "hdf5_classification"
            layer { name: "data" type: "HDF5Data" top: "data" top: "label" top: "target"
                    include { phase: TRAIN } hdf5_data_param { source: "\(train)" batch_size: 4 shuffle: true } }
            layer { name: "data" type: "HDF5Data" top: "data" top: "label" top: "target"
                    include { phase: TEST } hdf5_data_param { source: "\(train)" batch_size: 5 } }
            layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1"
                    param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                    inner_product_param { num_output: 16 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
            layer { name: "relu1" type: "ReLU" bottom: "fc1" top: "fc1" }
            layer { name: "labels" type: "InnerProduct" bottom: "fc1" top: "labels"
                    inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SigmoidCrossEntropyLoss" bottom: "labels" bottom: "label" top: "loss" }
            layer { name: "regress" type: "InnerProduct" bottom: "fc1" top: "regress"
                    inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
            layer { name: "regression_loss" type: "EuclideanLoss" bottom: "regress" bottom: "target"
                    top: "regression_loss" loss_weight: 0.5 }
            """, name: "hdf5_train_test.prototxt", expecting: ["4x6", "4x16", "4x3", "4x2"])
    }

    func testRCNNFineTuningFromAWindowFile() throws {
        // Two JPEG images and their windows (R-CNN's window_file format).
        var windows = ""
        for i in 0..<2 {
            let image = TestImages.gradient(channels: 3, height: 40, width: 48, seed: i)
            try Data(try ImageCodec.encode(image, format: .jpg)).write(to: directory.appendingPathComponent("img\(i).jpg"))
            windows += "# \(i)\nimg\(i).jpg\n3\n40\n48\n4\n"
                + "\(i + 1) 0.9 4 4 30 30\n\(i + 2) 0.6 10 2 47 39\n0 0.1 0 0 15 15\n3 0.2 20 20 40 35\n"
        }
        try windows.write(to: directory.appendingPathComponent("window_file_train.txt"), atomically: true, encoding: .utf8)
        try summaryAndTime("""
            name: "RCNN-fine-tune"
            layer { name: "data" type: "WindowData" top: "data" top: "label"
                    include { phase: TRAIN }
                    transform_param { mirror: true crop_size: 32 mean_value: 104 mean_value: 117 mean_value: 123 }
                    window_data_param { source: "window_file_train.txt" batch_size: 8 fg_threshold: 0.5
                                        bg_threshold: 0.5 fg_fraction: 0.25 context_pad: 4 crop_mode: "warp"
                                        root_folder: "\(directory.path)/" } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                    convolution_param { num_output: 16 kernel_size: 5 stride: 2 weight_filler { type: "gaussian" std: 0.01 } } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
            layer { name: "norm1" type: "LRN" bottom: "pool1" top: "norm1" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
            layer { name: "conv2" type: "Convolution" bottom: "norm1" top: "conv2"
                    convolution_param { num_output: 32 pad: 1 kernel_size: 3 group: 2 weight_filler { type: "gaussian" std: 0.01 }
                                        bias_filler { type: "constant" value: 1 } } }
            layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
            layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
            layer { name: "fc6" type: "InnerProduct" bottom: "pool2" top: "fc6"
                    inner_product_param { num_output: 64 weight_filler { type: "gaussian" std: 0.005 } } }
            layer { name: "relu6" type: "ReLU" bottom: "fc6" top: "fc6" }
            layer { name: "drop6" type: "Dropout" bottom: "fc6" top: "fc6" dropout_param { dropout_ratio: 0.5 } }
            layer { name: "fc8_pascal" type: "InnerProduct" bottom: "fc6" top: "fc8_pascal"
                    param { lr_mult: 10 decay_mult: 1 } param { lr_mult: 20 decay_mult: 0 }
                    inner_product_param { num_output: 21 weight_filler { type: "gaussian" std: 0.01 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc8_pascal" bottom: "label" top: "loss" }
            """, name: "rcnn_train.prototxt", expecting: ["8x3x32x32", "8x16x14x14", "8x16x7x7", "8x32x3x3", "8x21"])
    }
    func testAnHDF5NetBeforeItsFilesExist() throws {
        let net = try CaffeExampleNets.write("""
            name: "hdf5_regression"
            layer { name: "data" type: "HDF5Data" top: "data" top: "target"
                    hdf5_data_param { source: "not_yet_written.txt" batch_size: 8 } }
            layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1" inner_product_param { num_output: 16 } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "fc1" bottom: "target" top: "loss" }
            """, as: "hdf5_regression.prototxt", in: directory)
        let unknown = try SwiftCaffeExecutable.run(["summary", net], in: directory)
        XCTAssertEqual(unknown.status, 0, unknown.stderr)
        XCTAssertTrue(unknown.stdout.contains("cannot infer the shape of 'data'"), unknown.stdout)
        XCTAssertTrue(unknown.stdout.contains("cannot infer the shape of 'target'"), unknown.stdout)
        XCTAssertTrue(unknown.stdout.contains(" fc1 "), unknown.stdout)
        let given = try SwiftCaffeExecutable.run(["summary", "--data-shape", "data=8,5", "--data-shape", "target=8,16", net],
                                                 in: directory)
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertTrue(given.stdout.contains("8x16"), given.stdout)
        XCTAssertFalse(given.stdout.contains("?"), given.stdout)
    }
}
