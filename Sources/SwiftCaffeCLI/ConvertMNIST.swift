import ArgumentParser
import Foundation
import SwiftCaffe

struct ConvertMNIST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-mnist",
        abstract: "Convert MNIST's IDX image and label files (gzipped or not) to an LMDB of Datum records.",
        discussion: """
            Like Caffe's convert_mnist_data: one Datum per image (1 channel, rows × columns, \
            the label), keys "%08d". The database is written under a temporary name and \
            appears under DB only when complete; an existing DB is refused.
            Example: swiftcaffe convert-mnist train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz mnist_train_lmdb
            """
    )

    @Argument(help: "The IDX image file (magic 0x00000803), e.g. train-images-idx3-ubyte[.gz].")
    var images: String

    @Argument(help: "The IDX label file (magic 0x00000801), e.g. train-labels-idx1-ubyte[.gz].")
    var labels: String

    @Argument(help: "The LMDB database directory to create (must not exist).")
    var db: String

    @OptionGroup var database: BackendOption

    func run() throws {
        let count = try withProgress {
            try MNISTConverter.convert(imagesPath: images, labelsPath: labels, databasePath: db, progress: $0)
        }
        print("Processed \(count) files.")
    }
}
