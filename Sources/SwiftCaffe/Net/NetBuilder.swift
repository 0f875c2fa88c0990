import CaffeProto

/// How to build a net: which state (Caffe's --phase/--level/--stage) and whether
/// the net will run or only be inspected.
public struct NetBuildOptions {
    /// Overrides the file's `state.phase` (Caffe's --phase).
    public var phase: Caffe_Phase?
    /// Overrides the file's `state.level` (Caffe's --level).
    public var level: Int32?
    /// Added to the file's `state.stage` (Caffe's --stage, repeatable).
    public var stages: [String] = []
    /// Inspect only (summary): skip parameter filling and allow data layers to
    /// assume shapes they cannot read.
    public var inspectOnly = false
    /// Inspect only: shapes for data layers, used instead of reading or assuming them.
    public var dataShapes = DataShapes()
    /// Inspect only: a data layer whose shape cannot be inferred (no source, no
    /// shape given) leaves it unknown instead of stopping the build; the layers that
    /// depend on it are not shaped (`Net.unshapedLayers`), the others are.
    public var allowsUnknownShapes = false
    /// Run the fillers on learnable blobs. A net that will take its weights from
    /// elsewhere (a test net sharing the train net's) skips the work and the memory.
    public var fillParameters = true
    /// The layer types the net may use: the built-in ones unless a caller adds its own.
    public var registry = LayerRegistry.builtIn
    /// Random numbers for fillers, dropout and data order, shared by all layers.
    /// The solver seeds it from `random_seed`; the default seed makes runs repeatable.
    public var random = RandomSource(seed: 1701)
    /// Data-parallel training: the share of every global batch this process's Data and
    /// ImageData layers read (other data layers give every rank the same examples).
    public var dataShard = DataShard.whole
    /// The engine every layer is asked to run on (`--engine`) in place of the file's
    /// net-wide `engine: "MKLDNN"`; nil: the file's, else openblas. A layer's own
    /// `engine` fields still win (ComputeEngine lists the precedence); layers without
    /// oneDNN kernels use the reference.
    public var engine: ComputeEngine?

    public init(phase: Caffe_Phase? = nil, level: Int32? = nil, stages: [String] = [], inspectOnly: Bool = false) {
        self.phase = phase
        self.level = level
        self.stages = stages
        self.inspectOnly = inspectOnly
    }
}

/// Caffe's `Net::Init`: filters layers by state, checks the wiring, inserts Split
/// layers, creates layers from the registry, infers every shape, assigns loss
/// weights, decides which layers run backward, and shares named parameters.
public enum NetBuilder {
    public static func build(_ definition: NetDefinition, options: NetBuildOptions = NetBuildOptions()) throws -> Net {
        var state = definition.param.state
        if let phase = options.phase { state.phase = phase }
        if let level = options.level { state.level = level }
        state.stage += options.stages

        // 1. Keep the layers of this state, remembering where each came from.
        var kept: [(param: Caffe_LayerParameter, source: Int)] = []
        for (i, layer) in definition.param.layer.enumerated() {
            do {
                if try NetStateFilter.includes(layer, in: state) { kept.append((layer, i)) }
            } catch let error as SwiftCaffeError {
                throw error.inLayer(layer.name, at: definition.location(ofLayer: i, field: "exclude"))
            }
        }
        try checkWiring(kept, definition: definition, state: state)

        // 2. Split blobs read by several layers.
        let withSplits = SplitInsertion.insertSplits(kept.map(\.param))

        // 3. Create, wire and set up each layer.
        // The net-wide engine: the caller's (command line, solver), else the file's string field.
        let netEngine: ComputeEngine
        do {
            netEngine = try options.engine ?? ComputeEngine(engineField: definition.param.engine, field: "engine")
                ?? .openblas
        } catch var error as SwiftCaffeError {
            error.location = definition.document?.location([("engine", 0)])
            throw error
        }
        var assembly = Assembly(definition: definition, options: options, state: state, engine: netEngine)
        for (param, origin) in withSplits {
            try assembly.append(param, source: origin.map { kept[$0].source })
        }
        if options.inspectOnly,
           let unused = options.dataShapes.byTop.keys.sorted().first(where: { !assembly.dataTops.contains($0) }) {
            throw SwiftCaffeError(.usage, "a data shape is given for '\(unused)', but no data layer of this net produces it",
                                  field: "--data-shape",
                                  hint: assembly.dataTops.isEmpty ? "this net has no Data or ImageData layer"
                                      : "data tops of this net: " + assembly.dataTops.joined(separator: ", "))
        }
        let net = try assembly.finish(name: definition.param.name, forceBackward: definition.param.forceBackward)
        // 4. The dnnl engine's net-wide choices (fusions, which ReLUs run on oneDNN).
        if options.engine == .dnnl && !options.inspectOnly { try EnginePlan.apply(to: net) }
        return net
    }

    /// Every bottom must be produced by an earlier layer of this net.
    private static func checkWiring(_ kept: [(param: Caffe_LayerParameter, source: Int)],
                                    definition: NetDefinition, state: Caffe_NetState) throws {
        var produced: Set<String> = []
        var producedInOrder: [String] = []
        for (position, entry) in kept.enumerated() {
            let layer = entry.param
            for (j, bottom) in layer.bottom.enumerated() where !produced.contains(bottom) {
                var hint: String?
                if let later = kept[(position + 1)...].first(where: { $0.param.top.contains(bottom) }) {
                    hint = "'\(bottom)' is produced by layer '\(later.param.name)', which comes later; "
                        + "layers run in file order"
                } else if let other = definition.param.layer.first(where: { $0.top.contains(bottom) }) {
                    hint = "layer '\(other.name)' produces '\(bottom)' but is not part of the "
                        + "\(state.phase == .train ? "TRAIN" : "TEST") net (its include/exclude rules)"
                } else if let guess = Suggest.didYouMean(bottom, among: producedInOrder) {
                    hint = guess
                } else if !producedInOrder.isEmpty {
                    hint = "blobs available here: " + producedInOrder.joined(separator: ", ")
                }
                throw SwiftCaffeError.invalid("bottom", "bottom '\(bottom)' is not produced by any earlier layer",
                                              hint: hint)
                    .inLayer(layer.name, at: definition.location(ofLayer: entry.source, field: "bottom[\(j)]"))
            }
            for top in layer.top where !produced.contains(top) {
                produced.insert(top)
                producedInOrder.append(top)
            }
        }
    }
}
