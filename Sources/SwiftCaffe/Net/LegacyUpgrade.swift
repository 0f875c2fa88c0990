import CaffeProto

/// Brings net and solver definitions written for older Caffe releases up to the current
/// format, the way Caffe does when it reads a file, so that the rest of SwiftCaffe only
/// ever sees the modern form:
///
/// - V1 nets (`layers { type: CONVOLUTION blobs_lr: 1 weight_decay: 1 ... }`) become
///   `layer { type: "Convolution" param { lr_mult: 1 decay_mult: 1 } ... }`; the
///   transformation fields V1 data layers kept in their own parameter (`scale`,
///   `mean_file`, `crop_size`, `mirror`) move into `transform_param`.
/// - Deploy nets that declare their inputs at net level (`input` with `input_dim` or
///   `input_shape`) get a first layer `Input` named "input" producing those blobs.
/// - `BatchNorm` layers that list three `param` entries (the old way to keep their
///   statistics from being learned) get lr_mult and decay_mult 0 on all three.
/// - Solvers naming their method with the `solver_type` enum get the `type` string.
///
/// Every function returns one human-readable note per change (empty when the input was
/// already current), for the loader to show as warnings. Definitions that cannot be
/// upgraded unambiguously are refused with a `.semantic` error.
public enum LegacyUpgrade {

    // MARK: - Nets

    /// Whether `net` uses any of the legacy forms `upgrade(_:)` rewrites.
    public static func needsUpgrade(_ net: Caffe_NetParameter) -> Bool {
        if !net.layers.isEmpty { return true }
        if !net.input.isEmpty || !net.inputDim.isEmpty || !net.inputShape.isEmpty { return true }
        return net.layer.contains(where: batchNormNeedsUpgrade)
    }

    /// Upgrades a NetParameter in place as Caffe does on read. See the type's
    /// documentation for the rules. Returns notes on what changed (empty if nothing).
    @discardableResult
    public static func upgrade(_ net: inout Caffe_NetParameter) throws -> [String] {
        var notes: [String] = []
        if !net.layers.isEmpty {
            notes += try upgradeV1Layers(&net)
        }
        if !net.input.isEmpty || !net.inputDim.isEmpty || !net.inputShape.isEmpty {
            notes += try upgradeNetInputs(&net)
        }
        for index in net.layer.indices where batchNormNeedsUpgrade(net.layer[index]) {
            for p in net.layer[index].param.indices {
                net.layer[index].param[p].lrMult = 0
                net.layer[index].param[p].decayMult = 0
            }
            notes.append("BatchNorm layer '\(net.layer[index].name)': its 3 param entries now have "
                + "lr_mult 0 and decay_mult 0 (BatchNorm statistics are not learned)")
        }
        return notes
    }

    // MARK: - Solvers

    /// Replaces the deprecated `solver_type` enum by the `type` string ("SGD", "Nesterov",
    /// "AdaGrad", "RMSProp", "AdaDelta", "Adam"). Nets given inline in the solver
    /// (`net_param`, `train_net_param`, `test_net_param`) are upgraded as well.
    /// Throws if `solver_type` and `type` are both set and name different methods.
    @discardableResult
    public static func upgrade(_ solver: inout Caffe_SolverParameter) throws -> [String] {
        var notes: [String] = []
        if solver.hasSolverType {
            let name = typeName(of: solver.solverType)
            let enumName = enumSpelling(of: solver.solverType)
            if solver.hasType && solver.type != name {
                throw SwiftCaffeError(
                    .semantic,
                    "the solver sets both 'solver_type: \(enumName)' and 'type: \"\(solver.type)\"', "
                        + "which name different methods",
                    field: "solver_type",
                    hint: "remove the deprecated 'solver_type' line and keep 'type: \"\(solver.type)\"', "
                        + "or write 'type: \"\(name)\"'")
            }
            if solver.hasType {
                notes.append("removed deprecated 'solver_type: \(enumName)' (same as 'type: \"\(name)\"')")
            } else {
                notes.append("upgraded deprecated 'solver_type: \(enumName)' to 'type: \"\(name)\"'")
            }
            solver.type = name
            solver.clearSolverType()
        }
        if solver.hasNetParam {
            notes += try inlineNet(&solver.netParam, field: "net_param")
        }
        if solver.hasTrainNetParam {
            notes += try inlineNet(&solver.trainNetParam, field: "train_net_param")
        }
        for index in solver.testNetParam.indices {
            notes += try inlineNet(&solver.testNetParam[index], field: "test_net_param[\(index)]")
        }
        return notes
    }

    /// The `type` string Caffe's solver registry uses for a `solver_type` value.
    static func typeName(of solverType: Caffe_SolverParameter.SolverType) -> String {
        switch solverType {
        case .sgd: return "SGD"
        case .nesterov: return "Nesterov"
        case .adagrad: return "AdaGrad"
        case .rmsprop: return "RMSProp"
        case .adadelta: return "AdaDelta"
        case .adam: return "Adam"
        }
    }

    private static func enumSpelling(of solverType: Caffe_SolverParameter.SolverType) -> String {
        switch solverType {
        case .sgd: return "SGD"
        case .nesterov: return "NESTEROV"
        case .adagrad: return "ADAGRAD"
        case .rmsprop: return "RMSPROP"
        case .adadelta: return "ADADELTA"
        case .adam: return "ADAM"
        }
    }

    private static func inlineNet(_ net: inout Caffe_NetParameter, field: String) throws -> [String] {
        do {
            return try upgrade(&net).map { "\(field): \($0)" }
        } catch var error as SwiftCaffeError {
            error.field = error.field.map { "\(field).\($0)" } ?? field
            throw error
        }
    }

    // MARK: - V1 layers

    private static func upgradeV1Layers(_ net: inout Caffe_NetParameter) throws -> [String] {
        if !net.layer.isEmpty {
            throw SwiftCaffeError(
                .semantic,
                "the net mixes 'layer' (\(net.layer.count)) and legacy 'layers' (\(net.layers.count)) "
                    + "definitions",
                field: "layers",
                hint: "write every layer in the current form: layer { type: \"Convolution\" ... } "
                    + "instead of layers { type: CONVOLUTION ... }")
        }
        var notes: [String] = []
        var upgraded: [Caffe_LayerParameter] = []
        upgraded.reserveCapacity(net.layers.count)
        for (index, old) in net.layers.enumerated() {
            var v1 = old
            let label = v1.name.isEmpty ? "#\(index)" : v1.name
            if v1.hasLayer {
                throw SwiftCaffeError(
                    .semantic,
                    "V0 nets are not supported: upgrade with Caffe's upgrade_net_proto_text first",
                    layer: v1.hasName ? v1.name : (v1.layer.name.isEmpty ? nil : v1.layer.name),
                    field: "layers.layer",
                    hint: "this net uses the V0 form 'layers { layer { type: \"conv\" ... } }'")
            }
            let moved = moveTransformationFields(&v1)
            if !moved.isEmpty {
                notes.append("layer '\(label)': moved \(moved.joined(separator: ", ")) into transform_param")
            }
            upgraded.append(try upgradeV1Layer(v1, label: label))
        }
        net.layer = upgraded
        net.layers = []
        notes.insert("upgraded \(upgraded.count) legacy V1 'layers' definitions to 'layer'", at: 0)
        return notes
    }

    /// Caffe's V1 data layers carried scale/mean_file/crop_size/mirror in their own
    /// parameter message; these now live in transform_param. Returns the names moved.
    private static func moveTransformationFields(_ v1: inout Caffe_V1LayerParameter) -> [String] {
        var moved: [String] = []
        switch v1.type {
        case .data where v1.hasDataParam:
            var p = v1.dataParam
            if p.hasScale { v1.transformParam.scale = p.scale; p.clearScale(); moved.append("scale") }
            if p.hasMeanFile { v1.transformParam.meanFile = p.meanFile; p.clearMeanFile(); moved.append("mean_file") }
            if p.hasCropSize { v1.transformParam.cropSize = p.cropSize; p.clearCropSize(); moved.append("crop_size") }
            if p.hasMirror { v1.transformParam.mirror = p.mirror; p.clearMirror(); moved.append("mirror") }
            v1.dataParam = p
        case .imageData where v1.hasImageDataParam:
            var p = v1.imageDataParam
            if p.hasScale { v1.transformParam.scale = p.scale; p.clearScale(); moved.append("scale") }
            if p.hasMeanFile { v1.transformParam.meanFile = p.meanFile; p.clearMeanFile(); moved.append("mean_file") }
            if p.hasCropSize { v1.transformParam.cropSize = p.cropSize; p.clearCropSize(); moved.append("crop_size") }
            if p.hasMirror { v1.transformParam.mirror = p.mirror; p.clearMirror(); moved.append("mirror") }
            v1.imageDataParam = p
        case .windowData where v1.hasWindowDataParam:
            var p = v1.windowDataParam
            if p.hasScale { v1.transformParam.scale = p.scale; p.clearScale(); moved.append("scale") }
            if p.hasMeanFile { v1.transformParam.meanFile = p.meanFile; p.clearMeanFile(); moved.append("mean_file") }
            if p.hasCropSize { v1.transformParam.cropSize = p.cropSize; p.clearCropSize(); moved.append("crop_size") }
            if p.hasMirror { v1.transformParam.mirror = p.mirror; p.clearMirror(); moved.append("mirror") }
            v1.windowDataParam = p
        default:
            break
        }
        return moved
    }

    private static func upgradeV1Layer(_ v1: Caffe_V1LayerParameter, label: String) throws -> Caffe_LayerParameter {
        var layer = Caffe_LayerParameter()
        if v1.hasName { layer.name = v1.name }
        guard v1.hasType, v1.type != .none else {
            throw SwiftCaffeError(
                .semantic, "legacy layer '\(label)' has no type", layer: v1.hasName ? v1.name : nil,
                field: "type", hint: "give it a type such as 'type: CONVOLUTION', or rewrite it as "
                    + "layer { type: \"Convolution\" ... }")
        }
        layer.type = typeName(of: v1.type)
        layer.bottom = v1.bottom
        layer.top = v1.top
        layer.include = v1.include
        layer.exclude = v1.exclude
        layer.blobs = v1.blobs
        layer.lossWeight = v1.lossWeight

        // Per-blob settings were four parallel lists; they become one ParamSpec per blob,
        // as many as the longest list.
        let count = max(v1.param.count, v1.blobShareMode.count, v1.blobsLr.count, v1.weightDecay.count)
        var specs = [Caffe_ParamSpec](repeating: Caffe_ParamSpec(), count: count)
        for (i, name) in v1.param.enumerated() { specs[i].name = name }
        for (i, mode) in v1.blobShareMode.enumerated() {
            switch mode {
            case .strict: specs[i].shareMode = .strict
            case .permissive: specs[i].shareMode = .permissive
            }
        }
        for (i, lr) in v1.blobsLr.enumerated() { specs[i].lrMult = lr }
        for (i, decay) in v1.weightDecay.enumerated() { specs[i].decayMult = decay }
        layer.param = specs

        if v1.hasAccuracyParam { layer.accuracyParam = v1.accuracyParam }
        if v1.hasArgmaxParam { layer.argmaxParam = v1.argmaxParam }
        if v1.hasConcatParam { layer.concatParam = v1.concatParam }
        if v1.hasContrastiveLossParam { layer.contrastiveLossParam = v1.contrastiveLossParam }
        if v1.hasConvolutionParam { layer.convolutionParam = v1.convolutionParam }
        if v1.hasDataParam { layer.dataParam = v1.dataParam }
        if v1.hasDropoutParam { layer.dropoutParam = v1.dropoutParam }
        if v1.hasDummyDataParam { layer.dummyDataParam = v1.dummyDataParam }
        if v1.hasEltwiseParam { layer.eltwiseParam = v1.eltwiseParam }
        if v1.hasExpParam { layer.expParam = v1.expParam }
        if v1.hasHdf5DataParam { layer.hdf5DataParam = v1.hdf5DataParam }
        if v1.hasHdf5OutputParam { layer.hdf5OutputParam = v1.hdf5OutputParam }
        if v1.hasHingeLossParam { layer.hingeLossParam = v1.hingeLossParam }
        if v1.hasImageDataParam { layer.imageDataParam = v1.imageDataParam }
        if v1.hasInfogainLossParam { layer.infogainLossParam = v1.infogainLossParam }
        if v1.hasInnerProductParam { layer.innerProductParam = v1.innerProductParam }
        if v1.hasLrnParam { layer.lrnParam = v1.lrnParam }
        if v1.hasMemoryDataParam { layer.memoryDataParam = v1.memoryDataParam }
        if v1.hasMvnParam { layer.mvnParam = v1.mvnParam }
        if v1.hasPoolingParam { layer.poolingParam = v1.poolingParam }
        if v1.hasPowerParam { layer.powerParam = v1.powerParam }
        if v1.hasReluParam { layer.reluParam = v1.reluParam }
        if v1.hasSigmoidParam { layer.sigmoidParam = v1.sigmoidParam }
        if v1.hasSoftmaxParam { layer.softmaxParam = v1.softmaxParam }
        if v1.hasSliceParam { layer.sliceParam = v1.sliceParam }
        if v1.hasTanhParam { layer.tanhParam = v1.tanhParam }
        if v1.hasThresholdParam { layer.thresholdParam = v1.thresholdParam }
        if v1.hasWindowDataParam { layer.windowDataParam = v1.windowDataParam }
        if v1.hasTransformParam { layer.transformParam = v1.transformParam }
        if v1.hasLossParam { layer.lossParam = v1.lossParam }
        return layer
    }

    /// The current type string for a V1 layer type enum value ("" for NONE).
    public static func typeName(of type: Caffe_V1LayerParameter.LayerType) -> String {
        switch type {
        case .none: return ""
        case .absval: return "AbsVal"
        case .accuracy: return "Accuracy"
        case .argmax: return "ArgMax"
        case .bnll: return "BNLL"
        case .concat: return "Concat"
        case .contrastiveLoss: return "ContrastiveLoss"
        case .convolution: return "Convolution"
        case .deconvolution: return "Deconvolution"
        case .data: return "Data"
        case .dropout: return "Dropout"
        case .dummyData: return "DummyData"
        case .euclideanLoss: return "EuclideanLoss"
        case .eltwise: return "Eltwise"
        case .exp: return "Exp"
        case .flatten: return "Flatten"
        case .hdf5Data: return "HDF5Data"
        case .hdf5Output: return "HDF5Output"
        case .hingeLoss: return "HingeLoss"
        case .im2Col: return "Im2col"
        case .imageData: return "ImageData"
        case .infogainLoss: return "InfogainLoss"
        case .innerProduct: return "InnerProduct"
        case .lrn: return "LRN"
        case .memoryData: return "MemoryData"
        case .multinomialLogisticLoss: return "MultinomialLogisticLoss"
        case .mvn: return "MVN"
        case .pooling: return "Pooling"
        case .power: return "Power"
        case .relu: return "ReLU"
        case .sigmoid: return "Sigmoid"
        case .sigmoidCrossEntropyLoss: return "SigmoidCrossEntropyLoss"
        case .silence: return "Silence"
        case .softmax: return "Softmax"
        case .softmaxLoss: return "SoftmaxWithLoss"
        case .split: return "Split"
        case .slice: return "Slice"
        case .tanh: return "TanH"
        case .windowData: return "WindowData"
        case .threshold: return "Threshold"
        }
    }

    // MARK: - Net-level inputs

    private static func upgradeNetInputs(_ net: inout Caffe_NetParameter) throws -> [String] {
        let inputs = net.input
        let hasDim = !net.inputDim.isEmpty
        let hasShape = !net.inputShape.isEmpty
        if hasDim && hasShape {
            throw SwiftCaffeError(
                .semantic, "the net gives its input shapes both as 'input_dim' and as 'input_shape'",
                field: "input_dim",
                hint: "keep one of them, or better, replace both by a first layer "
                    + "layer { name: \"data\" type: \"Input\" top: \"data\" input_param { shape { dim: ... } } }")
        }
        var shapes: [Caffe_BlobShape] = []
        if hasDim {
            let dims = net.inputDim
            guard dims.count % 4 == 0, dims.count == 4 * inputs.count else {
                let what = inputs.count == 1 ? "1 input" : "\(inputs.count) inputs"
                throw SwiftCaffeError(
                    .semantic,
                    "'input_dim' has \(dims.count) values but \(what) need\(inputs.count == 1 ? "s" : "") "
                        + "\(4 * inputs.count) (4 per input: num, channels, height, width)",
                    field: "input_dim",
                    hint: "list exactly four input_dim values after each 'input', or use 'input_shape { dim: ... }'")
            }
            for i in inputs.indices {
                var shape = Caffe_BlobShape()
                shape.dim = dims[(4 * i)..<(4 * i + 4)].map { Int64($0) }
                shapes.append(shape)
            }
        } else if hasShape {
            guard net.inputShape.count == inputs.count else {
                throw SwiftCaffeError(
                    .semantic,
                    "the net has \(inputs.count) 'input' blob\(inputs.count == 1 ? "" : "s") but "
                        + "\(net.inputShape.count) 'input_shape' entr\(net.inputShape.count == 1 ? "y" : "ies")",
                    field: "input_shape", hint: "give one input_shape { dim: ... } per input, in the same order")
            }
            shapes = net.inputShape
        }

        var notes: [String] = []
        if shapes.isEmpty {
            // Inputs without shapes: what old binary models carry. Caffe drops them.
            notes.append("dropped net-level 'input' \(inputs.map { "'\($0)'" }.joined(separator: ", ")) "
                + "given without shapes")
        } else {
            var layer = Caffe_LayerParameter()
            layer.name = "input"
            layer.type = "Input"
            layer.top = inputs
            layer.inputParam.shape = shapes
            net.layer.insert(layer, at: 0)
            let described = zip(inputs, shapes).map { name, shape in
                "'\(name)' \(shape.dim.map(String.init).joined(separator: "x"))"
            }
            notes.append("replaced net-level 'input' + '\(hasDim ? "input_dim" : "input_shape")' by a first "
                + "layer 'input' of type Input (\(described.joined(separator: ", ")))")
        }
        net.input = []
        net.inputDim = []
        net.inputShape = []
        return notes
    }

    // MARK: - BatchNorm

    private static func batchNormNeedsUpgrade(_ layer: Caffe_LayerParameter) -> Bool {
        layer.type == "BatchNorm" && layer.param.count == 3
            && layer.param.contains { $0.lrMult != 0 || $0.decayMult != 0 }
    }
}
