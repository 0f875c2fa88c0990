import CaffeProto

/// The base of every layer, after Caffe's `Layer<Dtype>`.
///
/// Lifecycle, driven by the net (or by a test using a layer alone):
/// 1. `init(param:)` — read and check the layer's own parameters (no shapes yet).
/// 2. `setUp(bottom:top:…)` once — the one entry point, not overridable (Caffe's
///    non-virtual `Layer::SetUp`): checks the bottom/top counts, sets the loss
///    weights, calls the layer's own `layerSetUp` (create learnable `blobs`, check
///    bottom shapes), fills the parameters, `reshape`s, and sets `paramPropagateDown`.
/// 3. `reshape(bottom:top:)` whenever bottom shapes change — shape the tops, size scratch.
/// 4. `forward` / `backward` every iteration — compute; allocate nothing.
///
/// Subclasses override the count rules, `layerSetUp`, `reshape`, and the compute
/// methods. A bad parameter value is reported with `SwiftCaffeError.invalid(field, …)`
/// (field e.g. "convolution_param.group"); `setUp` (and the registry, for `init`)
/// adds the layer name, the net the file position.
open class Layer {
    /// The layer's definition, with `phase` set by the net.
    public let param: Caffe_LayerParameter
    /// Learnable parameters: weights first, then bias. Shared parameters are the
    /// very same `Blob` object in every layer that shares them.
    public var blobs: [Blob] = []
    /// Per learnable blob: whether `backward` must compute its gradient.
    public var paramPropagateDown: [Bool] = []
    /// Per top: the weight of this top in the net's loss (0 = not a loss).
    public private(set) var lossWeights: [Float] = []
    /// Things the layer assumed while shaping (shown by `swiftcaffe summary`).
    public var notes: [String] = []
    /// The net's random numbers (fillers, dropout, data order). `setUp` takes the net's.
    public var random = RandomSource(seed: 1701)
    /// True when the net is only described (`swiftcaffe summary`), not run: data
    /// layers may then assume shapes instead of opening their sources. Set by `setUp`.
    public private(set) var inspectOnly = false
    /// The engine the net asks for, set before `setUp`. Layers with oneDNN kernels
    /// read it when shaped (their own `engine: CAFFE` keeps them on the reference);
    /// the others always compute on the reference engine.
    public var requestedEngine: ComputeEngine = .openblas

    public var name: String { param.name }
    public var type: String { param.type }
    public var phase: Caffe_Phase { param.phase }

    public required init(param: Caffe_LayerParameter) throws {
        self.param = param
    }

    // MARK: Wiring rules (Caffe's ExactNumBottomBlobs & co.)

    /// How many bottoms the layer accepts.
    open var bottomCountRange: ClosedRange<Int> { 0...Int.max }
    /// How many tops the layer accepts.
    open var topCountRange: ClosedRange<Int> { 0...Int.max }
    /// Layers like ReLU-per-pair or Split-by-count need as many tops as bottoms.
    open var needsEqualBottomTopCount: Bool { false }
    /// Loss layers get loss_weight 1 on their first top unless the file says otherwise.
    open var isLossLayer: Bool { false }
    /// Whether `force_backward` may request a gradient for this bottom (false for labels).
    open func allowsForceBackward(bottomIndex: Int) -> Bool { true }

    // MARK: Setup (Caffe's non-virtual Layer::SetUp)

    /// Sets the layer up on its actual bottoms and tops: the only way nets and tests do it.
    ///
    /// - Parameters:
    ///   - random: the net's random numbers (fillers, dropout, data order); nil keeps the layer's own.
    ///   - inspectOnly: the net is only described (`swiftcaffe summary`): no filling,
    ///     data layers may assume shapes.
    ///   - fillParameters: run the fillers (a net that takes its weights from
    ///     elsewhere skips the work).
    ///   - forceParameterGradients: compute every parameter's gradient, even with
    ///     lr_mult 0 (Caffe's force_backward; the gradient checker needs them all).
    ///
    /// Errors carry the layer's name, so a layer used alone reports it as in a net.
    public final func setUp(bottom: [Blob], top: [Blob], random: RandomSource? = nil, inspectOnly: Bool = false,
                            fillParameters: Bool = true, forceParameterGradients: Bool = false) throws {
        do {
            try checkCounts(bottoms: bottom.count, tops: top.count)
            try setLossWeights(tops: top.count)
            if let random { self.random = random }
            self.inspectOnly = inspectOnly
            try layerSetUp(bottom: bottom, top: top)
            if fillParameters && !inspectOnly { try self.fillParameters() }
            try reshape(bottom: bottom, top: top)
            try setParameterGradients(force: forceParameterGradients)
        } catch let error as SwiftCaffeError {
            throw name.isEmpty ? error : error.inLayer(name, at: nil)
        }
    }

    /// The counts this layer declares (`bottomCountRange`, `topCountRange`,
    /// `needsEqualBottomTopCount`) against the ones it is given.
    private func checkCounts(bottoms: Int, tops: Int) throws {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        func describe(_ range: ClosedRange<Int>, _ word: String) -> String {
            if range.lowerBound == range.upperBound { return "exactly " + plural(range.lowerBound, word) }
            if range.upperBound == Int.max { return "at least " + plural(range.lowerBound, word) }
            return "\(range.lowerBound) to \(range.upperBound) \(word)s"
        }
        guard bottomCountRange.contains(bottoms) else {
            throw SwiftCaffeError.invalid("bottom", "\(type) takes \(describe(bottomCountRange, "bottom")), got \(bottoms)")
        }
        guard topCountRange.contains(tops) else {
            throw SwiftCaffeError.invalid("top", "\(type) takes \(describe(topCountRange, "top")), got \(tops)")
        }
        if needsEqualBottomTopCount, bottoms != tops {
            throw SwiftCaffeError.invalid("top", "\(type) needs one top per bottom, got \(bottoms) bottoms and \(tops) tops")
        }
    }

    /// Loss weights: as given (one per top), or 1 on a loss layer's first top.
    private func setLossWeights(tops: Int) throws {
        guard param.lossWeight.isEmpty || param.lossWeight.count == tops else {
            throw SwiftCaffeError.invalid("loss_weight",
                "\(param.lossWeight.count) loss_weight values for \(tops) tops; give none or one per top")
        }
        lossWeights = param.lossWeight.isEmpty ? (0..<tops).map { $0 == 0 && isLossLayer ? 1 : 0 } : param.lossWeight
    }

    /// One flag per learnable blob: its gradient is needed when its ParamSpec's
    /// lr_mult is not 0 (or when forced). Reads the layer's own copy of its
    /// definition: a layer may add specs (BatchNorm freezes its statistics with
    /// lr_mult 0, as Caffe does).
    private func setParameterGradients(force: Bool) throws {
        let specs = param.param
        guard specs.count <= blobs.count else {
            throw SwiftCaffeError.invalid("param",
                "\(specs.count) param specs for a layer with \(blobs.count) learnable blobs",
                hint: blobs.isEmpty ? "this layer type has no learnable parameters; remove 'param'"
                                    : "give one param { } per learnable blob (weights, then bias)")
        }
        paramPropagateDown = blobs.indices.map { k in force || parameterSpec(k).lrMult != 0 }
    }

    /// The ParamSpec of learnable blob `k` (the default spec, lr_mult 1, when not given).
    func parameterSpec(_ k: Int) -> Caffe_ParamSpec {
        k < param.param.count ? param.param[k] : Caffe_ParamSpec()
    }

    // MARK: Lifecycle hooks

    /// The layer's own setup (Caffe's `LayerSetUp`), called once by `setUp` with the
    /// actual bottoms: creates learnable blobs. Default: nothing.
    open func layerSetUp(bottom: [Blob], top: [Blob]) throws {}

    /// Fills the learnable blobs with their fillers (called by `setUp` unless the net
    /// is only inspected or takes its weights elsewhere). Default: nothing to fill.
    open func fillParameters() throws {}

    /// Shapes the tops from the bottoms. Every layer must override this.
    open func reshape(bottom: [Blob], top: [Blob]) throws {
        throw SwiftCaffeError(.semantic, "layer type '\(type)' does not define its output shape")
    }

    /// Computes the tops from the bottoms.
    open func forward(bottom: [Blob], top: [Blob]) throws {
        throw SwiftCaffeError(.semantic, "layer type '\(type)' has no forward computation yet",
                              hint: "this layer can be inspected with 'swiftcaffe summary' but not run")
    }

    /// Computes bottom diffs (where `propagateDown`) and parameter diffs (where
    /// `paramPropagateDown`) from the top diffs. Parameter diffs accumulate (+=),
    /// bottom diffs are overwritten, as in Caffe.
    open func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        throw SwiftCaffeError(.semantic, "layer type '\(type)' has no backward computation yet")
    }

    /// Multiply-accumulate operations for one forward pass over the whole batch
    /// (convolution and inner product; 0 for layers whose cost is not a product sum).
    open func multiplyAdds(bottom: [Blob], top: [Blob]) -> Int { 0 }

    /// What computes this layer, for `swiftcaffe time`: "openblas", or the oneDNN
    /// kernels and layout ("dnnl jit:avx512_core nChw16c").
    open var engineDescription: String { "openblas" }

    /// Nanoseconds spent converting between plain NCHW and engine layouts since the
    /// last `resetConversionTime()` (0 on the reference engine).
    open var conversionNanoseconds: UInt64 { 0 }
    open func resetConversionTime() {}

    // MARK: Helpers for subclasses

    /// An error about the shapes this layer receives.
    public func shapeError(_ message: String, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.semantic, message, layer: name, hint: hint)
    }

    /// Resolves a possibly negative axis against `numAxes` ("axis: -1" = last).
    public func canonicalAxis(_ axis: Int32, numAxes: Int, field: String) throws -> Int {
        let value = Int(axis)
        guard value >= -numAxes, value < numAxes else {
            throw SwiftCaffeError.invalid(field, "axis \(value) is out of range for a \(numAxes)-axis blob",
                                          hint: "use an axis in \(-numAxes)...\(numAxes - 1)")
        }
        return value < 0 ? value + numAxes : value
    }
}
