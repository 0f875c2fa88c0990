import CaffeProto

/// Caffe's "Parameter": no bottoms, one top that is a learnable blob of
/// `parameter_param.shape` (as Caffe's parameter_layer.hpp: not filled, so zeros until
/// weights are loaded or learned). Lets a net feed a learned tensor to any layer.
///
/// Caffe shares the blob's memory with the top; here forward copies the blob's values
/// into the top and backward adds the top's diff to the blob's diff, which is the same
/// computation (parameter diffs accumulate, the net clears them each iteration).
public final class ParameterLayer: Layer {
    public let shape: [Int]

    public required init(param: Caffe_LayerParameter) throws {
        let dims = param.parameterParam.shape.dim
        for (i, dim) in dims.enumerated() where dim < 0 || dim > Int64(Blob.maxCount) {
            throw SwiftCaffeError.invalid("parameter_param.shape", "dimension \(i) is \(dim)",
                                          hint: "give non-negative dimensions, e.g. shape { dim: 10 dim: 4 }")
        }
        shape = dims.map { Int($0) }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        blobs = [try Blob(shape: shape)]
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        try top[0].reshape(shape)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        top[0].data.update(from: blobs[0].data, count: blobs[0].count)
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard paramPropagateDown.count > 0, paramPropagateDown[0] else { return }
        BLAS.axpy(blobs[0].count, alpha: 1, x: top[0].diff, y: blobs[0].diff)
    }
}
