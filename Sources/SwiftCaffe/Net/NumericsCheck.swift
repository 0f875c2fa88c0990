/// `--check_numerics`: after each layer's forward the net looks at its tops, after
/// each layer's backward at the bottom diffs it wrote and its parameter diffs, and
/// stops at the first NaN or infinity with an error naming the layer, the blob and
/// the element. Off by default: `Net.numericsCheck` is nil and the loops pay one
/// branch per layer.
public struct NumericsCheck: Sendable {
    /// The training iteration the net is running, for the error (nil outside training).
    public var iteration: Int?

    public init(iteration: Int? = nil) { self.iteration = iteration }

    /// Where a blob first holds a value that is not finite, and how many such values it holds.
    public struct Finding: Equatable, Sendable {
        public var index: Int
        public var value: Float
        public var count: Int
    }

    /// The first non-finite element of `values[0..<count]`, or nil if all are finite.
    /// A float is NaN or ±inf exactly when its exponent bits are all ones; counting
    /// those is an integer pass the compiler vectorizes (a float sum would not be
    /// reordered), and the second, scalar pass only runs when something was found.
    public static func firstNonFinite(_ values: UnsafePointer<Float>, count: Int) -> Finding? {
        let exponent: UInt32 = 0x7F80_0000
        let bad = values.withMemoryRebound(to: UInt32.self, capacity: count) { bits -> Int in
            var bad = 0
            for i in 0..<count { bad &+= (bits[i] & exponent) == exponent ? 1 : 0 }
            return bad
        }
        guard bad > 0 else { return nil }
        var index = 0
        while values[index].isFinite { index += 1 }
        return Finding(index: index, value: values[index], count: bad)
    }

    /// Which pass found the value, and in which part of the blob.
    enum Pass: String { case forward, backward }

    func error(_ finding: Finding, pass: Pass, layer: Layer, blob: String, role: String, diff: Bool,
               count: Int, location: SourceLocation?) -> SwiftCaffeError {
        let at = iteration.map { " at iteration \($0)" } ?? ""
        let part = diff ? "diff" : "data"
        // Only NaN or ±inf reach here; printed as Caffe's logs do (no sign on NaN).
        let value = finding.value.isNaN ? "nan" : finding.value < 0 ? "-inf" : "inf"
        return SwiftCaffeError(.semantic,
            "non-finite value in the \(pass.rawValue) pass\(at): layer '\(layer.name)' (\(layer.type)) made "
            + "\(role) '\(blob)' \(part)[\(finding.index)] = \(value) "
            + "(\(finding.count) of \(count) values are not finite)",
            location: location, layer: layer.name,
            hint: "lower base_lr, check the input data for NaN/inf values, or set clip_gradients in the solver")
    }
}

extension Net {
    /// Checks layer `i`'s tops after its forward pass.
    func checkForward(_ check: NumericsCheck, layer i: Int) throws {
        let tops = topBlobs[i]
        for j in 0..<tops.count {
            if let finding = NumericsCheck.firstNonFinite(tops[j].data, count: tops[j].count) {
                throw check.error(finding, pass: .forward, layer: layers[i], blob: blobNames[topIDs[i][j]],
                                  role: "top", diff: false, count: tops[j].count, location: layerLocations[i])
            }
        }
    }

    /// Checks the bottom diffs layer `i`'s backward pass wrote, and its parameter diffs.
    func checkBackward(_ check: NumericsCheck, layer i: Int) throws {
        let bottoms = bottomBlobs[i]
        for j in 0..<bottoms.count where bottomNeedsBackward[i][j] {
            if let finding = NumericsCheck.firstNonFinite(bottoms[j].diff, count: bottoms[j].count) {
                throw check.error(finding, pass: .backward, layer: layers[i], blob: blobNames[bottomIDs[i][j]],
                                  role: "bottom", diff: true, count: bottoms[j].count, location: layerLocations[i])
            }
        }
        let params = layers[i].blobs
        for j in 0..<params.count {
            if let finding = NumericsCheck.firstNonFinite(params[j].diff, count: params[j].count) {
                throw check.error(finding, pass: .backward, layer: layers[i], blob: "\(layers[i].name) parameter #\(j)",
                                  role: "parameter", diff: true, count: params[j].count, location: layerLocations[i])
            }
        }
    }
}
