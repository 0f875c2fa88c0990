import CaffeProto

extension NetBuilder {
    /// The state of a net while its layers are appended one by one (Caffe's Net::Init
    /// loop). `finish` decides backward needs and outputs and returns the `Net`.
    struct Assembly {
        let definition: NetDefinition
        let options: NetBuildOptions
        let state: Caffe_NetState
        /// The engine of layers whose own string `engine` is empty.
        let engine: ComputeEngine

        var layers: [Layer] = []
        var locations: [SourceLocation?] = []
        var blobs: [Blob] = []
        var blobNames: [String] = []
        var blobID: [String: Int] = [:]
        /// Names produced and not yet consumed: what is left at the end are the outputs.
        var unconsumed: Set<String> = []
        var bottomIDs: [[Int]] = []
        var topIDs: [[Int]] = []
        var blobNeedsBackward: [Bool] = []
        var layerNeedsBackward: [Bool] = []
        var bottomNeedsBackward: [[Bool]] = []
        var notes: [String] = []
        /// The first tops of the data layers, in order (what `dataShapes` may name).
        var dataTops: [String] = []
        /// Inspect only: blobs whose shape is unknown → the data blob it depends on.
        var unknownShapes: [Int: String] = [:]
        /// Inspect only: layers not shaped, by the unknown data blob they depend on.
        var unshapedLayers: [(layer: Int, dependsOn: String)] = []

        var learnable: [Blob] = []
        var lrMultipliers: [Float] = []
        var decayMultipliers: [Float] = []
        /// Named parameters seen so far: name → (layer, blob index, learnable index, spec).
        var sharedOwners: [String: (layer: Int, blob: Int, learnable: Int, spec: Caffe_ParamSpec)] = [:]

        init(definition: NetDefinition, options: NetBuildOptions, state: Caffe_NetState, engine: ComputeEngine) {
            self.definition = definition
            self.options = options
            self.state = state
            self.engine = engine
            notes = definition.upgradeNotes
        }

        mutating func append(_ original: Caffe_LayerParameter, source: Int?) throws {
            var param = original
            param.phase = state.phase
            do {
                try appendChecked(param)
                locations.append(source.flatMap { definition.location(ofLayer: $0) })
            } catch let error as SwiftCaffeError {
                let location = source.flatMap { definition.location(ofLayer: $0, field: error.field) }
                throw error.inLayer(param.name, at: location)
            }
        }

        private mutating func appendChecked(_ param: Caffe_LayerParameter) throws {
            let layer = try options.registry.makeLayer(param)
            // Intel Caffe's string engine of the layer wins over the net's; the typed
            // `xxx_param { engine: CAFFE }` over both (each layer checks it: engineKernels).
            layer.requestedEngine = try ComputeEngine(engineField: param.engine, field: "engine") ?? engine
            let layerIndex = layers.count

            // Bottoms: existing blobs (the builder checked that each is produced).
            var bottoms: [Int] = []
            var needs: [Bool] = []
            var needBackward = false
            guard param.propagateDown.isEmpty || param.propagateDown.count == param.bottom.count else {
                throw SwiftCaffeError.invalid("propagate_down",
                    "\(param.propagateDown.count) propagate_down values for \(param.bottom.count) bottoms; "
                    + "give none or one per bottom")
            }
            for (j, name) in param.bottom.enumerated() {
                guard let id = blobID[name] else {
                    throw SwiftCaffeError.invalid("bottom", "bottom '\(name)' is not produced by any earlier layer")
                }
                bottoms.append(id)
                unconsumed.remove(name)
                needs.append(param.propagateDown.isEmpty ? blobNeedsBackward[id] : param.propagateDown[j])
                needBackward = needBackward || blobNeedsBackward[id]
            }

            // Tops: top j == bottom j means in place; any other reuse of a name is an error.
            var tops: [Int] = []
            for (j, name) in param.top.enumerated() {
                if j < param.bottom.count, param.bottom[j] == name {
                    tops.append(bottoms[j])
                } else if blobID[name] != nil {
                    let splitCopy = param.bottom.indices.contains(j)
                        && param.bottom[j].hasPrefix(name + "_") && param.bottom[j].contains("_split_")
                    let inPlaceHint = splitCopy
                        ? "'\(name)' is read by several layers, so it cannot be changed in place; give this top a new name"
                        : param.bottom.contains(name)
                            ? "an in-place top must be at the same position as its bottom"
                            : "'\(name)' is already produced by an earlier layer; give this top a new name"
                    throw SwiftCaffeError.invalid("top", "top '\(name)' is produced twice", hint: inPlaceHint)
                } else {
                    let id = blobs.count
                    blobs.append(try Blob(shape: []))
                    blobNames.append(name)
                    blobID[name] = id
                    blobNeedsBackward.append(false)
                    tops.append(id)
                }
                unconsumed.insert(name)
            }

            let data = layer as? PrefetchingDataLayer
            if let data, let first = param.top.first {
                dataTops.append(first)
                if options.inspectOnly { data.givenShape = options.dataShapes.shape(forTop: first) }
                data.mayLeaveShapeUnknown = options.inspectOnly && options.allowsUnknownShapes
                data.shard = options.dataShard
            }
            // HDF5Data: every top is a dataset, each may be given (by name; the first also unnamed).
            let hdf5 = layer as? HDF5DataLayer
            if let hdf5 {
                dataTops += param.top
                if options.inspectOnly {
                    hdf5.givenShapes = param.top.indices.map {
                        options.dataShapes.byTop[param.top[$0]] ?? ($0 == 0 ? options.dataShapes.all : nil)
                    }
                }
                hdf5.mayLeaveShapesUnknown = options.inspectOnly && options.allowsUnknownShapes
            }
            if let unknown = bottoms.compactMap({ unknownShapes[$0] }).first {
                // Shaped by a blob of unknown shape: described, not set up (so no parameters).
                for id in tops { unknownShapes[id] = unknown }
                unshapedLayers.append((layerIndex, unknown))
            } else {
                // Counts, loss weights, the layer's own setup, fillers, shapes, gradient flags.
                let bottomBlobs = bottoms.map { blobs[$0] }
                let topBlobs = tops.map { blobs[$0] }
                try layer.setUp(bottom: bottomBlobs, top: topBlobs, random: options.random,
                                inspectOnly: options.inspectOnly, fillParameters: options.fillParameters)
                notes += layer.notes.map { "\(param.name): \($0)" }
                if let data, data.shapeIsUnknown { unknownShapes[tops[0]] = param.top[0] }
                for k in hdf5?.unknownTops ?? [] { unknownShapes[tops[k]] = param.top[k] }
            }

            // Learnable parameters: multipliers from ParamSpec, sharing by name.
            for k in layer.blobs.indices {
                needBackward = needBackward || layer.paramPropagateDown[k]
                try shareOrOwn(layer: layer, layerIndex: layerIndex, blob: k, spec: layer.parameterSpec(k))
            }

            for id in tops where needBackward { blobNeedsBackward[id] = true }
            layers.append(layer)
            bottomIDs.append(bottoms)
            topIDs.append(tops)
            layerNeedsBackward.append(needBackward)
            bottomNeedsBackward.append(needs)
        }

        private mutating func shareOrOwn(layer: Layer, layerIndex: Int, blob k: Int, spec: Caffe_ParamSpec) throws {
            guard !spec.name.isEmpty, let owner = sharedOwners[spec.name] else {
                if !spec.name.isEmpty {
                    sharedOwners[spec.name] = (layerIndex, k, learnable.count, spec)
                }
                learnable.append(layer.blobs[k])
                lrMultipliers.append(spec.lrMult)
                decayMultipliers.append(spec.decayMult)
                return
            }
            let ownerBlob = learnable[owner.learnable]
            let mine = layer.blobs[k]
            let compatible = spec.shareMode == .permissive
                ? ownerBlob.count == mine.count : ownerBlob.shape == mine.shape
            guard compatible else {
                throw SwiftCaffeError.invalid("param[\(k)].name",
                    "shared parameter '\(spec.name)' has shape \(mine.shapeString) here but "
                    + "\(ownerBlob.shapeString) in layer '\(layers[owner.layer].name)'",
                    hint: "layers sharing a parameter need the same shape (or share_mode: PERMISSIVE for the same count)")
            }
            if spec.hasLrMult, owner.spec.hasLrMult, spec.lrMult != owner.spec.lrMult {
                throw SwiftCaffeError.invalid("param[\(k)].lr_mult",
                    "shared parameter '\(spec.name)' has lr_mult \(spec.lrMult) here but "
                    + "\(owner.spec.lrMult) in layer '\(layers[owner.layer].name)'")
            }
            if spec.hasDecayMult, owner.spec.hasDecayMult, spec.decayMult != owner.spec.decayMult {
                throw SwiftCaffeError.invalid("param[\(k)].decay_mult",
                    "shared parameter '\(spec.name)' has decay_mult \(spec.decayMult) here but "
                    + "\(owner.spec.decayMult) in layer '\(layers[owner.layer].name)'")
            }
            // The very same Blob object: shared values and shared gradients.
            layer.blobs[k] = ownerBlob
        }

        /// Caffe's backward analysis (which layers reach a loss), force_backward, outputs.
        mutating func finish(name: String, forceBackward: Bool) throws -> Net {
            var underLoss: Set<String> = []
            var skipsBackprop: Set<String> = []
            for i in layers.indices.reversed() {
                var contributesToLoss = false
                var skipPropagateDown = true
                for (j, id) in topIDs[i].enumerated() {
                    let name = blobNames[id]
                    // (A layer left unshaped by an unknown data shape has no loss weights.)
                    let weighted = layers[i].lossWeights.indices.contains(j) && layers[i].lossWeights[j] != 0
                    if weighted || underLoss.contains(name) { contributesToLoss = true }
                    if !skipsBackprop.contains(name) { skipPropagateDown = false }
                }
                if layerNeedsBackward[i], skipPropagateDown {
                    layerNeedsBackward[i] = false
                    for j in bottomNeedsBackward[i].indices { bottomNeedsBackward[i][j] = false }
                }
                if !contributesToLoss { layerNeedsBackward[i] = false }
                for (j, id) in bottomIDs[i].enumerated() {
                    let name = blobNames[id]
                    if contributesToLoss { underLoss.insert(name) } else { bottomNeedsBackward[i][j] = false }
                    if !bottomNeedsBackward[i][j] { skipsBackprop.insert(name) }
                }
            }
            if forceBackward {
                for i in layers.indices {
                    layerNeedsBackward[i] = true
                    for (j, id) in bottomIDs[i].enumerated() {
                        let allowed = layers[i].allowsForceBackward(bottomIndex: j)
                        bottomNeedsBackward[i][j] = bottomNeedsBackward[i][j] || allowed
                        blobNeedsBackward[id] = blobNeedsBackward[id] || bottomNeedsBackward[i][j]
                    }
                    for k in layers[i].paramPropagateDown.indices { layers[i].paramPropagateDown[k] = true }
                }
            }
            // Outputs in name order, as Caffe's std::set gives them (logs number them so).
            let outputs = unconsumed.sorted().compactMap { blobID[$0] }
            var notes = self.notes
            for blob in Set(unshapedLayers.map(\.dependsOn)).sorted() {
                let names = unshapedLayers.filter { $0.dependsOn == blob }.map { layers[$0.layer].name }
                notes.append("the shape of '\(blob)' is unknown, so these layers show '?': "
                             + names.joined(separator: ", ") + " (give it with --data-shape N,C,H,W)")
            }
            let net = Net(name: name, state: state, layers: layers, blobs: blobs, blobNames: blobNames,
                       bottomIDs: bottomIDs, topIDs: topIDs, layerNeedsBackward: layerNeedsBackward,
                       bottomNeedsBackward: bottomNeedsBackward, outputIDs: outputs,
                       learnableParams: learnable, lrMultipliers: lrMultipliers,
                       decayMultipliers: decayMultipliers, layerLocations: locations, notes: notes)
            net.unknownShapes = unknownShapes
            net.unshapedLayers = Set(unshapedLayers.map(\.layer))
            return net
        }
    }
}
