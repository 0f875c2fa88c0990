import CaffeProto
import Foundation

/// A mean image read from a `.binaryproto` file (a serialized BlobProto, as written by
/// `compute-image-mean` or Caffe's compute_image_mean), plus the optional PCA data
/// SwiftCaffe stores beside it for PCA lighting.
public struct MeanFile: Sendable {
    /// The path it was read from (for error messages).
    public let path: String
    /// The mean image's channels × height × width.
    public let shape: ExampleShape
    /// `shape.count` values, in the data's channel order.
    public let values: [Float]
    /// Eigenvalues of the 3×3 channel covariance, largest first (empty without `--pca`).
    public let pcaEigenvalues: [Float]
    /// Eigenvector k at [3k, 3k+3) (empty without `--pca`).
    public let pcaEigenvectors: [Float]

    public var hasPCA: Bool { pcaEigenvalues.count == 3 && pcaEigenvectors.count == 9 }

    /// Reads and checks `path`. The blob must be one image: 1 × C × H × W (or C × H × W).
    public init(path: String) throws {
        self.path = path
        let bytes: Data
        do {
            bytes = try InputFile.contents(path)
        } catch {
            throw SwiftCaffeError(.io, "cannot read mean file '\(path)': \(error.reason)",
                                  hint: "create it with: swiftcaffe compute-image-mean TRAIN_DB \(path)")
        }
        let proto: Caffe_BlobProto
        do {
            proto = try Caffe_BlobProto(serializedBytes: bytes)
        } catch {
            throw SwiftCaffeError(.io, "mean file '\(path)' is not a BlobProto (.binaryproto): \(error)")
        }
        var dims: [Int]
        if proto.hasShape {
            dims = proto.shape.dim.map { Int($0) }
        } else {
            dims = [Int(proto.num), Int(proto.channels), Int(proto.height), Int(proto.width)]
        }
        if dims.count == 4 && dims[0] == 1 { dims.removeFirst() }
        guard dims.count == 3, dims.allSatisfy({ $0 > 0 }) else {
            throw SwiftCaffeError(.io, "mean file '\(path)' holds a blob of shape \(dims) — expected one image "
                                  + "1 x channels x height x width")
        }
        let (plane, o1) = dims[1].multipliedReportingOverflow(by: dims[2])
        let (total, o2) = plane.multipliedReportingOverflow(by: dims[0])
        guard !o1, !o2, total <= Blob.maxCount else {
            throw SwiftCaffeError(.io, "mean file '\(path)' claims a shape of \(dims[0])x\(dims[1])x\(dims[2]), "
                                  + "more values than any image has", hint: "the file is damaged; compute it again "
                                  + "with swiftcaffe compute-image-mean")
        }
        let shape = ExampleShape(channels: dims[0], height: dims[1], width: dims[2])
        let count = shape.count
        let values: [Float]
        if proto.data.count == count {
            values = proto.data
        } else if proto.doubleData.count == count {
            values = proto.doubleData.map { Float($0) }
        } else {
            throw SwiftCaffeError(.io, "mean file '\(path)' has shape \(shape) but "
                                  + "\(max(proto.data.count, proto.doubleData.count)) values")
        }
        self.shape = shape
        self.values = values
        pcaEigenvalues = proto.pcaEigenvalue
        pcaEigenvectors = proto.pcaEigenvector
        guard pcaEigenvalues.isEmpty || hasPCA else {
            throw SwiftCaffeError(.io, "'\(path)' has \(pcaEigenvalues.count) PCA eigenvalues and "
                                  + "\(pcaEigenvectors.count) eigenvector values; expected 3 and 9",
                                  hint: "recreate it with: swiftcaffe compute-image-mean --pca TRAIN_DB \(path)")
        }
    }

    /// Per-channel averages of the mean image (what `mean_value` would be).
    public var channelMeans: [Float] {
        let plane = shape.height * shape.width
        return (0..<shape.channels).map { c in
            var sum = 0.0
            for i in 0..<plane { sum += Double(values[c * plane + i]) }
            return Float(sum / Double(plane))
        }
    }
}
