import CaffeProto

/// Declares the net's inputs and their shapes, Caffe's "Input" (the modern form of
/// deploy files' `input:`/`input_dim:`). Values are set from outside the net.
public final class InputLayer: Layer {
    public required init(param: Caffe_LayerParameter) throws {
        let shapes = param.inputParam.shape
        guard shapes.count == 1 || shapes.count == param.top.count else {
            throw SwiftCaffeError.invalid("input_param.shape",
                "\(shapes.count) shapes for \(param.top.count) tops; give one shape for all tops or one per top",
                hint: "e.g. input_param { shape { dim: 10 dim: 3 dim: 227 dim: 227 } }")
        }
        for shape in shapes {
            if let bad = shape.dim.first(where: { $0 < 0 }) {
                throw SwiftCaffeError.invalid("input_param.shape", "dimension \(bad) is negative")
            }
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let shapes = param.inputParam.shape
        for (i, t) in top.enumerated() {
            let shape = shapes.count == 1 ? shapes[0] : shapes[i]
            try t.reshape(shape.dim.map { Int($0) })
        }
    }

    /// Inputs are filled from outside; forward has nothing to compute.
    public override func forward(bottom: [Blob], top: [Blob]) throws {}
    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
