import CaffeProto

/// A built network: layers in execution order wired to blobs, after Caffe's `Net`.
///
/// Built by `NetBuilder` from a `NetDefinition` (the file) and a `NetState` (phase,
/// level, stages). Blob and layer arrays are fixed once built; `forward`/`backward`
/// walk them and allocate nothing.
public final class Net {
    public let name: String
    public let state: Caffe_NetState
    /// Layers in execution order, including automatically inserted Split layers.
    public let layers: [Layer]
    /// Every distinct blob; an in-place top is the same blob as its bottom.
    public let blobs: [Blob]
    public let blobNames: [String]
    /// Per layer: indices into `blobs`.
    public let bottomIDs: [[Int]]
    public let topIDs: [[Int]]
    /// Per layer: whether backward runs, and for which bottoms.
    public let layerNeedsBackward: [Bool]
    public let bottomNeedsBackward: [[Bool]]
    /// Blobs nobody consumes: the net's outputs (losses, accuracies, probabilities).
    public let outputIDs: [Int]
    /// The distinct learnable blobs (owners only, shared parameters appear once).
    public private(set) var learnableParams: [Blob]
    /// Per learnable blob: its learning-rate and decay multipliers.
    public let paramLearningRateMultipliers: [Float]
    public let paramDecayMultipliers: [Float]
    /// Per layer: the source position of its definition, if it came from a file.
    public let layerLocations: [SourceLocation?]
    /// Notes from shape inference ("assumed 3x227x227 …") and from the legacy upgrade.
    public let notes: [String]
    /// Inspect only (`NetBuildOptions.allowsUnknownShapes`): blobs whose shape is
    /// unknown → the data blob whose unknown shape they depend on.
    public internal(set) var unknownShapes: [Int: String] = [:]
    /// Inspect only: the layers not shaped (and not set up) because a bottom's shape
    /// is unknown.
    public internal(set) var unshapedLayers: Set<Int> = []
    /// Set to check every layer's outputs and gradients for NaN/inf (`--check_numerics`);
    /// nil (the default) costs one branch per layer.
    public var numericsCheck: NumericsCheck?
    /// Told after each layer's turn in backward (from the last layer to the first, also
    /// for layers that skip backward): data-parallel training starts the all-reduce of
    /// the gradients that are complete while the earlier layers still run backward.
    public weak var backwardObserver: (any BackwardObserver)?

    let bottomBlobs: [[Blob]]
    let topBlobs: [[Blob]]
    /// Per layer and bottom, flattened (layer i starts at `seenVersionStart[i]`): the
    /// bottom's `shapeVersion` when the layer was last reshaped. As Caffe's
    /// Layer::Forward reshapes before every forward, a layer whose bottom changed shape
    /// (after Filter, or an ImageData batch of another size) is reshaped first.
    private var seenVersions: [Int]
    private let seenVersionStart: [Int]
    private let blobIndex: [String: Int]
    private let layerIndex: [String: Int]

    init(name: String, state: Caffe_NetState, layers: [Layer], blobs: [Blob], blobNames: [String],
         bottomIDs: [[Int]], topIDs: [[Int]], layerNeedsBackward: [Bool], bottomNeedsBackward: [[Bool]],
         outputIDs: [Int], learnableParams: [Blob], lrMultipliers: [Float], decayMultipliers: [Float],
         layerLocations: [SourceLocation?], notes: [String]) {
        self.name = name
        self.state = state
        self.layers = layers
        self.blobs = blobs
        self.blobNames = blobNames
        self.bottomIDs = bottomIDs
        self.topIDs = topIDs
        self.layerNeedsBackward = layerNeedsBackward
        self.bottomNeedsBackward = bottomNeedsBackward
        self.outputIDs = outputIDs
        self.learnableParams = learnableParams
        self.paramLearningRateMultipliers = lrMultipliers
        self.paramDecayMultipliers = decayMultipliers
        self.layerLocations = layerLocations
        self.notes = notes
        bottomBlobs = bottomIDs.map { $0.map { blobs[$0] } }
        topBlobs = topIDs.map { $0.map { blobs[$0] } }
        seenVersionStart = bottomIDs.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        seenVersions = bottomBlobs.flatMap { $0.map(\.shapeVersion) }
        var index: [String: Int] = [:]
        for (i, n) in blobNames.enumerated() { index[n] = i }
        blobIndex = index
        var layersByName: [String: Int] = [:]
        for (i, l) in layers.enumerated() where layersByName[l.name] == nil { layersByName[l.name] = i }
        layerIndex = layersByName
    }

    public func blob(named name: String) -> Blob? { blobIndex[name].map { blobs[$0] } }
    public func layer(named name: String) -> Layer? { layerIndex[name].map { layers[$0] } }
    public func bottoms(ofLayer i: Int) -> [Blob] { bottomBlobs[i] }
    public func tops(ofLayer i: Int) -> [Blob] { topBlobs[i] }
    public var outputNames: [String] { outputIDs.map { blobNames[$0] } }

    /// Total number of learnable values (shared parameters counted once).
    public var parameterCount: Int { learnableParams.reduce(0) { $0 + $1.count } }

    /// The batch size: the first dimension of the first layer's first top.
    public var batchSize: Int? {
        guard let first = topBlobs.first(where: { !$0.isEmpty })?.first, first.numAxes > 0 else { return nil }
        return first.dim(0)
    }

    /// Allocates every blob's memory up front so that running out of memory is an
    /// error at start, not a crash mid-run.
    public func allocate() throws {
        for b in blobs { try b.allocate() }
        for b in learnableParams { try b.allocate() }
    }

    /// Runs every layer's forward pass; returns the weighted sum of the loss outputs.
    @discardableResult
    public func forward() throws -> Float {
        try forward(layers: 0..<layers.count)
    }

    /// Runs the forward pass of the layers in `range` only (Caffe's ForwardFromTo);
    /// returns the weighted sum of their loss outputs.
    @discardableResult
    public func forward(layers range: Range<Int>) throws -> Float {
        // Index loops throughout: iterators over arrays allocate in debug builds.
        var loss: Float = 0
        for i in range {
            let layer = layers[i]
            if bottomShapesChanged(layer: i) { try reshape(layer: i) }
            try layer.forward(bottom: bottomBlobs[i], top: topBlobs[i])
            if let check = numericsCheck { try checkForward(check, layer: i) }
            for j in 0..<layer.lossWeights.count where layer.lossWeights[j] != 0 {
                let top = topBlobs[i][j]
                let values = top.data
                var sum: Float = 0
                for k in 0..<top.count { sum += values[k] }
                loss += layer.lossWeights[j] * sum
            }
        }
        return loss
    }

    /// Runs backward from the losses to the inputs, for the layers that need it.
    public func backward() throws {
        for i in 0..<layers.count {
            let weights = layers[i].lossWeights
            for j in 0..<weights.count where weights[j] != 0 { topBlobs[i][j].fillDiff(weights[j]) }
        }
        var i = layers.count - 1
        while i >= 0 {
            if layerNeedsBackward[i] {
                try layers[i].backward(top: topBlobs[i], propagateDown: bottomNeedsBackward[i],
                                       bottom: bottomBlobs[i])
                if let check = numericsCheck { try checkBackward(check, layer: i) }
            }
            backwardObserver?.layerFinishedBackward(i)
            i -= 1
        }
    }

    /// Caffe's ShareTrainedLayersWith: every layer that has a layer of the same name in
    /// `train` uses that layer's parameter blobs (the same objects), so a test net sees
    /// the weights as they train. This net's own parameter blobs are released; layers
    /// only this net has are filled by their fillers here (build such a net with
    /// `fillParameters: false`).
    public func shareParameters(from train: Net) throws {
        for layer in layers where !layer.blobs.isEmpty {
            guard let source = train.layer(named: layer.name) else {
                // Only this net has the layer: it keeps (and fills) its own parameters.
                try layer.fillParameters()
                continue
            }
            guard source.blobs.count == layer.blobs.count,
                  zip(source.blobs, layer.blobs).allSatisfy({ $0.shape == $1.shape }) else {
                throw SwiftCaffeError(.semantic,
                    "layer '\(layer.name)' has parameters \(layer.blobs.map(\.shapeString)) in this net "
                    + "but \(source.blobs.map(\.shapeString)) in the net it shares with",
                    layer: layer.name, hint: "a layer with the same name in both phases must have the same parameters")
            }
            layer.blobs = source.blobs
        }
        // The distinct parameter blobs again, in first-use order (counts are unchanged).
        var seen = Set<ObjectIdentifier>()
        learnableParams = layers.flatMap(\.blobs).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// Re-runs shape inference, e.g. after an input blob was reshaped.
    public func reshape() throws {
        for i in layers.indices { try reshape(layer: i) }
    }

    private func reshape(layer i: Int) throws {
        do {
            try layers[i].reshape(bottom: bottomBlobs[i], top: topBlobs[i])
        } catch let error as SwiftCaffeError {
            throw error.inLayer(layers[i].name, at: layerLocations[i])
        }
        let bottoms = bottomBlobs[i]
        for j in 0..<bottoms.count { seenVersions[seenVersionStart[i] + j] = bottoms[j].shapeVersion }
    }

    private func bottomShapesChanged(layer i: Int) -> Bool {
        let bottoms = bottomBlobs[i]
        for j in 0..<bottoms.count where seenVersions[seenVersionStart[i] + j] != bottoms[j].shapeVersion {
            return true
        }
        return false
    }
}

/// Sees backward progress layer by layer (`Net.backwardObserver`).
public protocol BackwardObserver: AnyObject {
    /// Layer `index` has finished its backward pass (or had none to do).
    func layerFinishedBackward(_ index: Int)
}
