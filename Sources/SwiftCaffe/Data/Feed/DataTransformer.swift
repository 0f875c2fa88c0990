import CaffeProto

/// Turns one stored example (C × H × W bytes or floats) into the net's input
/// (C × crop × crop floats), with Caffe's DataTransformer semantics:
///
///     out[c][h][w] = (in[c][h_off + h][w_off + w'] + lighting[c] − mean) · scale
///
/// - crop: `crop_size` > 0 cuts a square; its offset is random in TRAIN and centred
///   in TEST (rounding down). Without crop the whole image passes.
/// - mirror: with `mirror: true` each example is flipped left–right with probability
///   ½ (w' = width − 1 − w), in either phase, as Caffe does — the reference nets turn
///   it off in their TEST layers.
/// - mean: `mean_file` (a full-size mean image, cropped at the same offset as the
///   example) or `mean_value` (one value for all channels, or one per channel).
/// - scale: multiplies after the mean is subtracted (0.00390625 = 1/256 for MNIST).
/// - PCA lighting (SwiftCaffe's `pca_lighting_std`, AlexNet paper §4.1): in TRAIN,
///   α ~ N(0, std²) is drawn per example for each of the 3 principal components and
///   `255 · Σₖ pₖ αₖ λₖ` is added to every pixel before the mean is subtracted
///   (λₖ, pₖ: eigenvalues and eigenvectors of the pixels' colour covariance on the
///   [0, 1] scale, as `compute-image-mean --pca` stores them; 255 brings the shift
///   back to the stored 0…255 pixel values).
///
/// With `tenCrop` (10-crop testing) an example becomes its ten fixed patches instead.
///
/// Random choices come from a `RandomSource` the caller reseeds per example, so the
/// same example number always gets the same crop, flip and lighting — on any thread,
/// and after resuming from a snapshot.
public final class DataTransformer {
    public let param: Caffe_TransformationParameter
    public let phase: Caffe_Phase
    /// How encoded images are decoded: force_color, force_gray, or their own channels.
    public var decodeMode: ImageColorMode { param.forceColor ? .color : param.forceGray ? .gray : .native }
    /// The mean image (mean_file), if any.
    public let meanFile: MeanFile?
    private let meanValues: [Float]
    /// PCA lighting: standard deviation of α, eigenvalues, eigenvectors (k at [3k, 3k+3)).
    private let lightingStd: Float
    private let eigenvalues: [Float]
    private let eigenvectors: [Float]
    /// 10-crop testing (`TenCrop`): each example becomes its ten crop_size patches, written
    /// one after another (10 × C × crop × crop floats), with no random choices. Set by the
    /// data layer while no prefetch thread runs.
    var tenCrop = false

    /// `param` is the layer's transform_param. Reads `mean_file` (and `pca_file`) now,
    /// so a missing or malformed file is reported when the net is built.
    public init(param: Caffe_TransformationParameter, phase: Caffe_Phase) throws {
        self.param = param
        self.phase = phase
        guard !(param.hasMeanFile && !param.meanValue.isEmpty) else {
            throw SwiftCaffeError.invalid("transform_param.mean_value",
                "both mean_file and mean_value are set; Caffe accepts only one",
                hint: "keep mean_file (per-pixel mean) or mean_value (per-channel), not both")
        }
        guard !(param.forceColor && param.forceGray) else {
            throw SwiftCaffeError.invalid("transform_param.force_gray", "force_color and force_gray are both set")
        }
        guard param.scale.isFinite else {
            throw SwiftCaffeError.invalid("transform_param.scale", "scale must be a finite number")
        }
        meanFile = param.hasMeanFile ? try MeanFile(path: param.meanFile) : nil
        meanValues = param.meanValue

        lightingStd = param.pcaLightingStd
        guard lightingStd >= 0, lightingStd.isFinite else {
            throw SwiftCaffeError.invalid("transform_param.pca_lighting_std",
                                          "pca_lighting_std must be ≥ 0 (got \(lightingStd))")
        }
        if lightingStd > 0 {
            let source: MeanFile
            if param.hasPcaFile {
                source = try MeanFile(path: param.pcaFile)
            } else if let meanFile {
                source = meanFile
            } else {
                throw SwiftCaffeError.invalid("transform_param.pca_lighting_std",
                    "PCA lighting needs the data's principal components, and neither pca_file nor mean_file is set",
                    hint: "run 'swiftcaffe compute-image-mean --pca TRAIN_DB mean.binaryproto' and set "
                        + "pca_file (or mean_file) to it")
            }
            guard source.hasPCA else {
                throw SwiftCaffeError.invalid(param.hasPcaFile ? "transform_param.pca_file" : "transform_param.mean_file",
                    "'\(source.path)' has no PCA eigenvalues/eigenvectors, which pca_lighting_std needs",
                    hint: "recreate it with 'swiftcaffe compute-image-mean --pca TRAIN_DB \(source.path)'")
            }
            eigenvalues = source.pcaEigenvalues
            eigenvectors = source.pcaEigenvectors
        } else {
            eigenvalues = []
            eigenvectors = []
        }
    }

    /// The output shape for an input of `input`'s shape; checks that the crop, the mean
    /// and the PCA data fit it. `source` names the example.
    public func outputShape(of input: ExampleShape, source: @autoclosure () -> String) throws -> ExampleShape {
        try check(input, source: source())
        let crop = Int(param.cropSize)
        return crop > 0 ? ExampleShape(channels: input.channels, height: crop, width: crop) : input
    }

    private func check(_ input: ExampleShape, source: @autoclosure () -> String) throws {
        // `source` is only built for an error: this runs once per example.
        let crop = Int(param.cropSize)
        if crop > 0 && (input.height < crop || input.width < crop) {
            throw SwiftCaffeError.invalid("transform_param.crop_size",
                "crop_size \(crop) is larger than \(source()) (\(input))",
                hint: "use a crop_size of at most \(min(input.height, input.width)), or convert the images larger")
        }
        if let mean = meanFile, mean.shape != input {
            throw SwiftCaffeError.invalid("transform_param.mean_file",
                "the mean file '\(mean.path)' is \(mean.shape) but "
                    + "\(source()) is \(input); the mean must have the size of the stored images",
                hint: "compute the mean of this database with 'swiftcaffe compute-image-mean'")
        }
        if !meanValues.isEmpty && meanValues.count != 1 && meanValues.count != input.channels {
            throw SwiftCaffeError.invalid("transform_param.mean_value",
                "\(meanValues.count) mean_value entries for \(source()) with \(input.channels) channels",
                hint: "give one mean_value for all channels or exactly one per channel")
        }
        if lightingStd > 0 && input.channels != 3 {
            throw SwiftCaffeError.invalid("transform_param.pca_lighting_std",
                "PCA lighting works on 3-channel images but \(source()) has \(input.channels) channel(s)")
        }
    }

    /// Transforms one example of `shape` (C × H × W values) into `output`
    /// (`outputShape(of: shape)` floats, ten such patches with `tenCrop`). `random` must be reseeded for this example by the caller.
    public func transform<Element>(
        _ input: UnsafeBufferPointer<Element>, shape: ExampleShape,
        into output: UnsafeMutablePointer<Float>, random: RandomSource, source: @autoclosure () -> String,
        toFloat: (Element) -> Float
    ) throws {
        guard input.count == shape.count else {
            throw SwiftCaffeError(.io, "\(source()) holds \(input.count) values but its shape "
                                  + "\(shape) needs \(shape.count)")
        }
        try check(shape, source: source())
        let channels = shape.channels, height = shape.height, width = shape.width
        let crop = Int(param.cropSize)
        let channelCount = channels * crop * crop
        if tenCrop && crop > 0 {
            // Ten fixed patches, one after another; no random choices (it is a test-time view).
            for v in 0..<TenCrop.count {
                let window = TenCrop.window(v, imageHeight: height, imageWidth: width, cropHeight: crop, cropWidth: crop)
                write(input, shape: shape, window: window, lighting: (0, 0, 0), into: output + v * channelCount,
                      toFloat: toFloat)
            }
            return
        }

        // Random draws in Caffe's order: mirror, then the crop offsets, then lighting.
        let mirror = param.mirror && random.nextInt(below: 2) == 1
        var window = CropWindow(top: 0, left: 0, height: height, width: width, mirrored: mirror)
        if crop > 0 {
            (window.height, window.width) = (crop, crop)
            if phase == .train {
                window.top = random.nextInt(below: height - crop + 1)
                window.left = random.nextInt(below: width - crop + 1)
            } else {
                window.top = (height - crop) / 2
                window.left = (width - crop) / 2
            }
        }
        // lighting[c] = 255 · Σₖ eigenvector_k[c] · α_k · λ_k, in TRAIN only.
        var lighting: (Float, Float, Float) = (0, 0, 0)
        if lightingStd > 0 && phase == .train {
            for k in 0..<3 {
                let weight = 255 * random.normal(mean: 0, std: lightingStd) * eigenvalues[k]
                lighting.0 += eigenvectors[3 * k] * weight
                lighting.1 += eigenvectors[3 * k + 1] * weight
                lighting.2 += eigenvectors[3 * k + 2] * weight
            }
        }
        write(input, shape: shape, window: window, lighting: lighting, into: output, toFloat: toFloat)
    }

    /// Transforms the `window` of one example of `shape` (bytes, 0...255) into `output`
    /// (C × window.height × window.width floats): the window's pixels, mirrored if it
    /// says so, minus the mean (a mean image is read at the same input pixels), times
    /// scale — a fixed crop, as `swiftcaffe classify` cuts its patches. crop_size and
    /// the random choices do not apply.
    public func transform(bytes input: UnsafeBufferPointer<UInt8>, shape: ExampleShape, window: CropWindow,
                          into output: UnsafeMutablePointer<Float>, source: @autoclosure () -> String) throws {
        guard input.count == shape.count else {
            throw SwiftCaffeError(.io, "\(source()) holds \(input.count) values but its shape "
                                  + "\(shape) needs \(shape.count)")
        }
        try check(shape, source: source())
        guard window.top >= 0, window.left >= 0, window.height > 0, window.width > 0,
              window.top + window.height <= shape.height, window.left + window.width <= shape.width else {
            throw SwiftCaffeError(.usage, "the crop \(window) does not fit in \(source()) (\(shape))")
        }
        write(input, shape: shape, window: window, lighting: (0, 0, 0), into: output, toFloat: { Float($0) })
    }

    /// out[c][h][w] = (in[c][top + h][left + w'] + lighting[c] − mean) · scale, w' mirrored or not.
    private func write<Element>(_ input: UnsafeBufferPointer<Element>, shape: ExampleShape, window: CropWindow,
                                lighting: (Float, Float, Float), into output: UnsafeMutablePointer<Float>,
                                toFloat: (Element) -> Float) {
        let channels = shape.channels, height = shape.height, width = shape.width
        let (outHeight, outWidth, hOff, wOff, mirror) = (window.height, window.width, window.top, window.left,
                                                         window.mirrored)
        let scale = param.scale
        let meanImage = meanFile?.values
        for c in 0..<channels {
            let shift: Float = lightingStd > 0 ? (c == 0 ? lighting.0 : c == 1 ? lighting.1 : lighting.2) : 0
            let channelMean: Float = meanValues.isEmpty ? 0 : meanValues[meanValues.count == 1 ? 0 : c]
            // The mean image is as large as the input: it is read at the crop offset.
            if let meanImage {
                for h in 0..<outHeight {
                    let inRow = (c * height + hOff + h) * width + wOff
                    let outRow = (c * outHeight + h) * outWidth
                    for w in 0..<outWidth {
                        let outIndex = mirror ? outRow + outWidth - 1 - w : outRow + w
                        output[outIndex] = (toFloat(input[inRow + w]) + shift - meanImage[inRow + w]) * scale
                    }
                }
            } else {
                for h in 0..<outHeight {
                    let inRow = (c * height + hOff + h) * width + wOff
                    let outRow = (c * outHeight + h) * outWidth
                    for w in 0..<outWidth {
                        let outIndex = mirror ? outRow + outWidth - 1 - w : outRow + w
                        output[outIndex] = (toFloat(input[inRow + w]) + shift - channelMean) * scale
                    }
                }
            }
        }
    }

    /// Bytes (Datum.data), as 0...255.
    public func transform(bytes input: UnsafeBufferPointer<UInt8>, shape: ExampleShape,
                          into output: UnsafeMutablePointer<Float>, random: RandomSource,
                          source: @autoclosure () -> String) throws {
        try transform(input, shape: shape, into: output, random: random, source: source(), toFloat: { Float($0) })
    }

    /// Floats (Datum.float_data).
    public func transform(floats input: UnsafeBufferPointer<Float>, shape: ExampleShape,
                          into output: UnsafeMutablePointer<Float>, random: RandomSource,
                          source: @autoclosure () -> String) throws {
        try transform(input, shape: shape, into: output, random: random, source: source(), toFloat: { $0 })
    }
}
