import CaffeProto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Caffe's convert_mnist_data: an IDX image file and its IDX label file → an LMDB of
/// Datum records (channels 1, height rows, width columns, data the pixel bytes, the
/// label), keyed "%08d" by index, committed every `batchSize` records.
///
/// A conversion that fails leaves no database under the final name: records are
/// written into a sibling directory "DB.partial-<pid>" that is renamed to DB only
/// when everything is committed. An existing DB is refused, as Caffe refuses.
public enum MNISTConverter {
    public static let defaultBatchSize = 1000

    /// Converts and returns the number of records written. `progress(done, total)` is
    /// called after every commit.
    @discardableResult
    public static func convert(imagesPath: String, labelsPath: String, databasePath: String,
                               batchSize: Int = defaultBatchSize,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        try PartialDatabase.checkCanCreate(databasePath)
        let images = try IDXFile.readImages(path: imagesPath)
        let labels = try IDXFile.readLabels(path: labelsPath)
        guard images.count == labels.count else {
            throw SwiftCaffeError(
                .io, "'\(imagesPath)' holds \(images.count) images but '\(labelsPath)' holds \(labels.count) labels",
                hint: "the image and label files must come from the same set (e.g. train-images with train-labels)")
        }

        let total = images.count
        try PartialDatabase.write(to: databasePath) { db in
            var datum = Caffe_Datum()
            datum.channels = 1
            datum.height = Int32(images.rows)
            datum.width = Int32(images.columns)
            let step = max(1, batchSize)
            for index in 0..<total {
                datum.data = Data(images.image(index))
                datum.label = Int32(labels.labels[index])
                let value: [UInt8] = try datum.serializedBytes()
                try db.put(key: key(index), value: value)
                if (index + 1) % step == 0 {
                    try db.commit()
                    progress?(index + 1, total)
                }
            }
            try db.commit()
            if total % step != 0 || total == 0 { progress?(total, total) }
        }
        return total
    }

    /// Caffe's record key: the index as "%08d".
    public static func key(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
