import ArgumentParser
import Foundation
import SwiftCaffe

struct ComputeImageMean: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute-image-mean",
        abstract: "Average the images of an LMDB into a mean-image .binaryproto (Caffe's mean_file).",
        discussion: """
            Like Caffe's compute_image_mean: every Datum (raw or encoded) must have the same \
            channels × height × width; the mean is written as a 1×C×H×W BlobProto and the \
            per-channel means are printed (the values for transform_param's mean_value). \
            With --pca the eigenvalues and eigenvectors of the 3×3 colour covariance are \
            stored in the same file for PCA lighting (transform_param.pca_lighting_std).
            Example: swiftcaffe compute-image-mean --pca train_lmdb imagenet_mean.binaryproto
            """
    )

    @Argument(help: "The LMDB database to average.")
    var db: String

    @Argument(help: "The mean file to write, e.g. mean.binaryproto (replaced atomically).")
    var meanFile: String

    @OptionGroup var database: BackendOption

    @Flag(name: .customLong("pca"), help: "Also store the eigen-decomposition of the colour covariance (3 channels).")
    var pca = false

    func run() throws {
        let result = try withProgress {
            try ImageMeanComputer.computeAndWrite(databasePath: db, meanPath: meanFile, pca: pca, progress: $0)
        }
        print("Processed \(result.count) files.")
        for line in result.summaryLines { print(line) }
    }
}
