import CaffeProto

/// Element-wise PROD, SUM (with optional coefficients) or MAX of equally shaped
/// blobs, Caffe's "Eltwise".
public final class EltwiseLayer: Layer {
    public let operation: Caffe_EltwiseParameter.EltwiseOp
    public let coefficients: [Float]

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.eltwiseParam
        operation = p.operation
        coefficients = p.coeff
        guard p.coeff.isEmpty || p.coeff.count == param.bottom.count else {
            throw SwiftCaffeError.invalid("eltwise_param.coeff",
                "\(p.coeff.count) coefficients for \(param.bottom.count) bottoms; give one per bottom or none")
        }
        guard p.coeff.isEmpty || p.operation == .sum else {
            throw SwiftCaffeError.invalid("eltwise_param.coeff", "coefficients only apply to the SUM operation")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...Int.max }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        for (i, blob) in bottom.enumerated() where blob.shape != bottom[0].shape {
            throw shapeError("bottom \(i) has shape \(blob.shapeString) but bottom 0 has "
                             + "\(bottom[0].shapeString); Eltwise needs equal shapes")
        }
        try top[0].reshape(like: bottom[0])
    }
}
