import CaffeProto

/// The base of every layer, after Caffe's `Layer<Dtype>`.
///
/// Lifecycle, driven by the net:
/// 1. `init(param:)` — read and check the layer's own parameters (no shapes yet).
/// 2. `setUp(bottom:top:)` once — create learnable `blobs`, check bottom shapes.
/// 3. `reshape(bottom:top:)` whenever bottom shapes change — shape the tops, size scratch.
/// 4. `forward` / `backward` every iteration — compute; allocate nothing.
///
/// Subclasses override the count rules, `reshape`, and the compute methods. Every
/// error a layer throws about its own parameters should set `field:` (e.g.
/// "convolution_param.group"); the net adds the layer name and file position.
open class Layer {
    /// The layer's definition, with `phase` set by the net.
    public let param: Caffe_LayerParameter
    /// Learnable parameters: weights first, then bias. Shared parameters are the
    /// very same `Blob` object in every layer that shares them.
    public var blobs: [Blob] = []
    /// Per learnable blob: whether `backward` must compute its gradient.
    public var paramPropagateDown: [Bool] = []
    /// Per top: the weight of this top in the net's loss (0 = not a loss).
    public internal(set) var lossWeights: [Float] = []
    /// Things the layer assumed while shaping (shown by `swiftcaffe summary`).
    public var notes: [String] = []
    /// The net's random numbers (fillers, dropout, data order). Set by the net before `setUp`.
    public var random = RandomSource(seed: 1701)
    /// True when the net is only described (`swiftcaffe summary`), not run: data
    /// layers may then assume shapes instead of opening their sources.
    public internal(set) var inspectOnly = false

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

    // MARK: Lifecycle

    /// Called once with the actual bottoms; creates learnable blobs. Default: nothing.
    open func setUp(bottom: [Blob], top: [Blob]) throws {}

    /// Fills the learnable blobs with their fillers (called by the net after `setUp`
    /// unless the net is only inspected). Default: nothing to fill.
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

    // MARK: Helpers for subclasses

    /// An error about this layer's parameter `field` ("pooling_param.kernel_size").
    public func parameterError(_ field: String, _ message: String, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.semantic, message, layer: name, field: field, hint: hint)
    }

    /// An error about the shapes this layer receives.
    public func shapeError(_ message: String, hint: String? = nil) -> SwiftCaffeError {
        SwiftCaffeError(.semantic, message, layer: name, hint: hint)
    }

    /// Resolves a possibly negative axis against `numAxes` ("axis: -1" = last).
    public func canonicalAxis(_ axis: Int32, numAxes: Int, field: String) throws -> Int {
        let value = Int(axis)
        guard value >= -numAxes, value < numAxes else {
            throw parameterError(field, "axis \(value) is out of range for a \(numAxes)-axis blob",
                                 hint: "use an axis in \(-numAxes)...\(numAxes - 1)")
        }
        return value < 0 ? value + numAxes : value
    }
}
