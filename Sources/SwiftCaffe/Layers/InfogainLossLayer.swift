#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaffeProto
import Foundation

/// Caffe's "InfogainLoss": a multinomial logistic loss in which predicting class k for
/// an example of class l weighs H[l, k] (H = identity is MultinomialLogisticLoss).
///
/// bottoms: probabilities p, outer × K × inner (K = shape[infogain_loss_param.axis],
/// axis default 1), labels (outer · inner class indices), and optionally H itself
/// (K × K, or 1 × 1 × K × K); without a third bottom, H is read once from the
/// .binaryproto file infogain_loss_param.source (a BlobProto, as a mean file). top: the
/// loss, a scalar.
///
/// loss = −Σ_{positions} Σ_k H[label, k] · log(max(p_k, 1e-20)) / normalizer, over the
/// positions whose label is not loss_param.ignore_label. normalizer: loss_param.normalization,
/// BATCH_SIZE (outer) when not given — Caffe 1.0's division by N.
/// Backward: p_diff_k = −H[label, k] / max(p_k, 1e-20) · top_diff / normalizer (0 at
/// ignored positions). Labels and H take no gradient.
///
/// Which Caffe: this is BVLC Caffe 1.0's layer, which takes *probabilities* (put a
/// Softmax before it). Later Caffe versions take scores and apply a softmax inside
/// (with an optional second top of probabilities); a net written for those needs the
/// Softmax layer added. Caffe 1.0 knows neither axis, ignore_label nor normalization
/// here: it treats everything after the first axis as the classes. With the defaults
/// the two agree on N × K (and N × K × 1 × 1) inputs; for N × C × H × W with H·W > 1
/// this layer takes C classes per position (H must then be C × C), as later Caffe does.
public final class InfogainLossLayer: Layer {
    public var normalization: Caffe_LossParameter.NormalizationMode { lossNormalization.mode }
    public let ignoreLabel: Int?
    public private(set) var axis = 1
    /// Positions before and after the class axis, and the classes.
    public private(set) var outerCount = 0, innerCount = 0, classes = 0
    private let lossNormalization: LossNormalization
    /// H read from infogain_loss_param.source (unused with a third bottom).
    private let fileMatrix = Blob(0)
    private var fileMatrixRead = false
    private var lastNormalizer: Float = 1

    public required init(param: Caffe_LayerParameter) throws {
        lossNormalization = LossNormalization(param.lossParam, unset: .batchSize)
        ignoreLabel = param.lossParam.hasIgnoreLabel ? Int(param.lossParam.ignoreLabel) : nil
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 2...3 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override var isLossLayer: Bool { true }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex == 0 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        guard bottom.count < 3 else { return }
        let source = param.infogainLossParam.source
        guard !source.isEmpty else {
            throw SwiftCaffeError.invalid("infogain_loss_param.source", "InfogainLoss needs its matrix H",
                hint: "give the path of a .binaryproto holding the K × K matrix in infogain_loss_param { source: … }, "
                      + "or H as a third bottom")
        }
        if inspectOnly && !FileManager.default.fileExists(atPath: source) {
            notes.append("infogain matrix '\(source)' not found; its shape is not checked")
            return
        }
        try Self.readMatrix(source, into: fileMatrix)
        fileMatrixRead = true
    }

    /// Reads H from a BlobProto file into `blob`, errors naming the file and the field.
    static func readMatrix(_ path: String, into blob: Blob) throws {
        do {
            let bytes = try InputFile.read(path, what: "infogain matrix file",
                                           hint: "write H (K × K) as a BlobProto .binaryproto, as a mean file is")
            let proto: Caffe_BlobProto
            do {
                proto = try Caffe_BlobProto(serializedBytes: bytes)
            } catch {
                throw SwiftCaffeError(.io, "infogain matrix file '\(path)' is not a BlobProto (.binaryproto): \(error)")
            }
            try blob.copy(from: proto, reshape: true)
        } catch var error as SwiftCaffeError {
            if error.field == nil { error.field = "infogain_loss_param.source" }
            throw error
        }
    }

    /// H: the third bottom, or the matrix read from the file (nil when it was not read
    /// because the net is only inspected).
    private func matrix(_ bottom: [Blob]) -> Blob? {
        bottom.count > 2 ? bottom[2] : fileMatrixRead ? fileMatrix : nil
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let (probabilities, labels) = (bottom[0], bottom[1])
        guard !bottom.contains(where: { $0 === top[0] }) else {
            throw shapeError("InfogainLoss cannot compute in place", hint: "give its top a new name")
        }
        let geometry = try classAxis(param.infogainLossParam.axis, field: "infogain_loss_param.axis",
                                     predictions: probabilities, named: "probabilities", labels: labels)
        (axis, outerCount, innerCount, classes) = (geometry.axis, geometry.outerCount, geometry.innerCount,
                                                   geometry.classes)
        if let h = matrix(bottom), h.count != classes * classes {
            let origin = bottom.count > 2 ? "the third bottom" : "'\(param.infogainLossParam.source)'"
            throw shapeError("the infogain matrix H from \(origin) has shape \(h.shapeString); "
                             + "\(classes) classes need \(classes) × \(classes)",
                             hint: "H[l, k] weighs predicting class k for label l; it needs one row and one column per class")
        }
        try top[0].reshape([])
    }

    /// H's data, or an error when it was never read (a net built only for inspection).
    private func matrixData(_ bottom: [Blob]) throws -> UnsafePointer<Float> {
        guard let h = matrix(bottom) else {
            throw shapeError("the infogain matrix '\(param.infogainLossParam.source)' was not read",
                             hint: "the net was built for inspection only; create the file to run it")
        }
        return UnsafePointer(h.data)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let h = try matrixData(bottom)
        let p = UnsafePointer(bottom[0].data), labels = UnsafePointer(bottom[1].data)
        let (classes, inner) = (self.classes, innerCount)
        let threshold = MultinomialLogisticLossLayer.logThreshold
        var loss: Float = 0
        var valid = 0
        for o in 0..<outerCount {
            for j in 0..<inner {
                let index = o * inner + j
                guard let label = try classIndex(labels[index], at: index, classes: classes,
                                                 ignoreLabel: ignoreLabel, parameterBlock: "loss_param")
                else { continue }
                for k in 0..<classes {
                    loss -= h[label * classes + k] * logf(max(p[(o * classes + k) * inner + j], threshold))
                }
                valid += 1
            }
        }
        lastNormalizer = lossNormalization.normalizer(outer: outerCount, inner: inner, valid: valid)
        top[0].data[0] = loss / lastNormalizer
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try refuseGradients(propagateDown, what: { $0 == 1 ? "label" : "infogain matrix" })
        guard propagateDown[0] else { return }
        let h = try matrixData(bottom)
        let p = UnsafePointer(bottom[0].data), labels = UnsafePointer(bottom[1].data), dx = bottom[0].diff
        let (classes, inner) = (self.classes, innerCount)
        let threshold = MultinomialLogisticLossLayer.logThreshold
        let scale = -top[0].diff[0] / lastNormalizer
        for o in 0..<outerCount {
            for j in 0..<inner {
                let index = o * inner + j
                guard let label = try classIndex(labels[index], at: index, classes: classes,
                                                 ignoreLabel: ignoreLabel, parameterBlock: "loss_param") else {
                    for k in 0..<classes { dx[(o * classes + k) * inner + j] = 0 }
                    continue
                }
                for k in 0..<classes {
                    let i = (o * classes + k) * inner + j
                    dx[i] = scale * h[label * classes + k] / max(p[i], threshold)
                }
            }
        }
    }
}
