import CaffeProto

/// Fully connected layer, Caffe's "InnerProduct".
///
/// bottom: M × K (axes from `axis` on are flattened into K)  →  top: M × num_output.
/// weights: num_output × K (K × num_output when `transpose`); bias: num_output.
public final class InnerProductLayer: Layer {
    public let numOutput: Int
    public let biasTerm: Bool
    public let transpose: Bool
    public private(set) var axis = 1
    /// Rows (M) and inputs per row (K) at the last reshape.
    public private(set) var rows = 0, inputs = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.innerProductParam
        numOutput = Int(p.numOutput)
        biasTerm = p.biasTerm
        transpose = p.transpose
        guard numOutput > 0 else {
            throw SwiftCaffeError.invalid("inner_product_param.num_output",
                "num_output must be positive (got \(p.numOutput))",
                hint: "set num_output to the number of outputs, e.g. 'num_output: 4096'")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func setUp(bottom: [Blob], top: [Blob]) throws {
        axis = try canonicalAxis(param.innerProductParam.axis, numAxes: bottom[0].numAxes,
                                 field: "inner_product_param.axis")
        let k = bottom[0].count(from: axis)
        blobs = [try Blob(shape: transpose ? [k, numOutput] : [numOutput, k])]
        if biasTerm { blobs.append(try Blob(shape: [numOutput])) }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        let k = input.count(from: axis)
        let expected = transpose ? blobs[0].dim(0) : blobs[0].dim(1)
        guard k == expected else {
            throw shapeError("input has \(k) values per row (shape \(input.shapeString)) "
                             + "but the weights expect \(expected)")
        }
        rows = input.count(from: 0, to: axis)
        inputs = k
        try top[0].reshape(Array(input.shape[..<axis]) + [numOutput])
    }

    public override func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int { rows * inputs * numOutput }
}
