import CaffeProto

/// What Convolution and Deconvolution share, after Caffe's BaseConvolutionLayer: the
/// `convolution_param` (num_output, group, bias_term, geometry, fillers) with the same
/// checks and errors, the learnable blobs, the shapes, and the column and bias-ones
/// buffers sized in reshape. Not a layer type of its own.
///
/// `isTransposed` is Deconvolution: the convolution whose input is the top. It swaps
/// the roles of bottom and top in the weight layout (Caffe: C × Cout/g × kh × kw
/// instead of Cout × C/g × kh × kw), the output size rule and the columns, which
/// then belong to the top.
public class BaseConvolutionLayer: Layer {
    public let numOutput: Int
    public let group: Int
    public let biasTerm: Bool
    public let geometry: ConvolutionGeometry

    /// Shapes seen at the last reshape (per image).
    public internal(set) var inputChannels = 0
    public internal(set) var inputHeight = 0, inputWidth = 0
    public internal(set) var outputHeight = 0, outputWidth = 0

    private let weightFiller: Filler
    private let biasFiller: Filler?
    /// The im2col of one image of the convolution's input (the bottom, or for a
    /// transposed layer the top): (channels·kh·kw) × (positions of the other side).
    /// Reused by every image and pass; unused when the geometry is pointwise.
    let columns = Blob(0)
    /// H'·W' ones, for the bias GEMM and its gradient.
    let biasMultiplier = Blob(0)

    /// Deconvolution overrides this with true.
    class var isTransposed: Bool { false }

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.convolutionParam
        numOutput = Int(p.numOutput)
        group = Int(p.group)
        biasTerm = p.biasTerm
        geometry = try ConvolutionGeometry(p)
        guard numOutput > 0 else {
            throw SwiftCaffeError.invalid("convolution_param.num_output", "num_output must be positive (got \(p.numOutput))",
                                          hint: "set num_output to the number of filters, e.g. 'num_output: 96'")
        }
        // Absent fillers are Caffe's default FillerParameter: constant 0.
        weightFiller = try Filler(p.weightFiller, field: "convolution_param.weight_filler")
        biasFiller = biasTerm ? try Filler(p.biasFiller, field: "convolution_param.bias_filler") : nil
        try super.init(param: param)
        guard group > 0 else {
            throw SwiftCaffeError.invalid("convolution_param.group", "group must be positive (got \(p.group))")
        }
        guard numOutput % group == 0 else {
            throw SwiftCaffeError.invalid("convolution_param.group",
                                          "group \(group) does not divide num_output \(numOutput)")
        }
        guard p.axis == 1 || p.axis == -3 else {
            throw SwiftCaffeError.invalid("convolution_param.axis", "only axis 1 (channels of an NCHW blob) is supported")
        }
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...Int.max }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }
    public override var needsEqualBottomTopCount: Bool { true }

    /// Caffe's weight layout for a bottom with `channels` channels.
    private func weightShape(channels: Int) -> [Int] {
        let (kh, kw) = (geometry.kernelH, geometry.kernelW)
        return Self.isTransposed ? [channels, numOutput / group, kh, kw] : [numOutput, channels / group, kh, kw]
    }

    /// The bottom channels the weights were made for.
    private var weightInputChannels: Int { Self.isTransposed ? blobs[0].dim(0) : blobs[0].dim(1) * group }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try checkBottom(bottom[0])
        blobs = [try Blob(shape: weightShape(channels: bottom[0].dim(1)))]
        if biasTerm { blobs.append(try Blob(shape: [numOutput])) }
    }

    public override func fillParameters() throws {
        try weightFiller.fill(blobs[0], random: random)
        if let biasFiller, blobs.count > 1 { try biasFiller.fill(blobs[1], random: random) }
    }

    /// The checks of one bottom's shape. Subclasses add theirs (what the kernel needs)
    /// and call this first.
    func checkBottom(_ blob: Blob) throws {
        guard blob.numAxes == 4 else {
            throw shapeError("\(type) needs a 4-D N×C×H×W input, got \(blob.shapeString)")
        }
        let channels = blob.dim(1)
        guard channels % group == 0 else {
            throw SwiftCaffeError.invalid("convolution_param.group",
                                          "group \(group) does not divide the \(channels) input channels",
                                          hint: "the input has shape \(blob.shapeString)")
        }
    }

    /// The top's height and width for a bottom of `height` × `width`.
    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        geometry.outputSize(height: height, width: width)
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let first = bottom[0]
        try checkBottom(first)
        for (i, other) in bottom.enumerated() where other.shape != first.shape {
            throw shapeError("all bottoms must have the same shape: bottom 0 is \(first.shapeString), "
                             + "bottom \(i) is \(other.shapeString)")
        }
        guard first.dim(1) == weightInputChannels else {
            throw shapeError("input has \(first.dim(1)) channels but the weights expect \(weightInputChannels)")
        }
        inputChannels = first.dim(1)
        (inputHeight, inputWidth) = (first.dim(2), first.dim(3))
        (outputHeight, outputWidth) = outputSize(height: inputHeight, width: inputWidth)
        for t in top where bottom.contains(where: { $0 === t }) {
            throw shapeError("\(type) cannot run in place (its top is also its bottom)",
                             hint: "give the top a name of its own")
        }
        for t in top {
            try t.reshape([first.dim(0), numOutput, outputHeight, outputWidth])
        }
        let plane = outputHeight * outputWidth
        if !geometry.isPointwise {
            let kernelArea = geometry.kernelH * geometry.kernelW
            try columns.reshape(Self.isTransposed ? [numOutput * kernelArea, inputHeight * inputWidth]
                                                  : [inputChannels * kernelArea, plane])
        }
        if biasTerm {
            try biasMultiplier.reshape([plane])
            biasMultiplier.fillData(1)
        }
    }
}
