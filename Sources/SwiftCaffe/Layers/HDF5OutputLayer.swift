import CaffeProto

/// Caffe's "HDF5Output": writes its two bottoms to the HDF5 file
/// `hdf5_output_param.file_name`, bottom 0 as dataset "data" and bottom 1 as "label",
/// each with the bottom's own shape (Float32). No tops; nothing to propagate.
///
/// The file is created (or truncated) when the net is set up — not for `swiftcaffe
/// summary` — and every forward pass appends its batch as rows: after k passes "data"
/// holds k·N rows. (Caffe writes the first batch and fails on the second, as its
/// datasets cannot grow.) The library writes the file in place; it is flushed after
/// every pass so a reader sees complete rows.
public final class HDF5OutputLayer: Layer {
    /// The datasets of bottoms 0 and 1, Caffe's HDF5_DATA_DATASET_NAME and HDF5_DATA_LABEL_NAME.
    static let datasetNames = ["data", "label"]
    private var file: HDF5File?

    public required init(param: Caffe_LayerParameter) throws {
        guard !param.hdf5OutputParam.fileName.isEmpty else {
            throw SwiftCaffeError.invalid("hdf5_output_param.file_name", "file_name (the HDF5 file to write) is required")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 0...0 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        if !inspectOnly { file = try HDF5File.create(param.hdf5OutputParam.fileName) }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].numAxes > 0, bottom[1].numAxes > 0, bottom[0].dim(0) == bottom[1].dim(0) else {
            throw shapeError("the data and label bottoms need the same number of rows (first dimension); got "
                             + "\(bottom[0].shapeString) and \(bottom[1].shapeString)")
        }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let file else { throw shapeError("the HDF5 file '\(param.hdf5OutputParam.fileName)' was not created") }
        for k in 0..<2 {
            let blob = bottom[k]
            try file.append(Self.datasetNames[k], rowShape: Array(blob.shape.dropFirst()), rows: blob.dim(0), values: blob.data)
        }
        try file.flush()
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
