/// Label values as Caffe reads them: `static_cast<int>(value)`, truncation toward zero.
enum LossLabel {
    /// The integer Caffe would see, nil for a value no Int32 holds (NaN, ±∞, 1e20).
    @inline(__always)
    static func truncated(_ value: Float) -> Int? {
        value > -2_147_483_648 && value < 2_147_483_648 ? Int(value) : nil
    }

    /// Whether `value` is `ignoreLabel` (false when there is none).
    @inline(__always)
    static func isIgnored(_ value: Float, _ ignoreLabel: Int?) -> Bool {
        ignoreLabel != nil && truncated(value) == ignoreLabel
    }
}

/// Label handling shared by the loss layers (and Accuracy): reading a class index
/// from a label blob, and refusing gradients for inputs that cannot take one.
extension Layer {
    /// The class of a label value (truncated to an integer as Caffe's static_cast), nil
    /// when it is `ignoreLabel`; throws for anything that is not a class in 0..<classes.
    /// `parameterBlock` names where an ignore_label could be set ("loss_param"), nil for a
    /// layer that has none.
    func classIndex(_ value: Float, at index: Int, classes: Int, ignoreLabel: Int?,
                    parameterBlock: String?) throws -> Int? {
        if let label = LossLabel.truncated(value) {
            if label == ignoreLabel { return nil }
            if label >= 0, label < classes { return label }
        }
        let hint: String
        if let ignoreLabel {
            hint = "labels must be class indices or the ignore_label \(ignoreLabel)"
        } else if let parameterBlock {
            hint = "labels must be class indices; set \(parameterBlock) { ignore_label: … } to skip some positions"
        } else {
            hint = "labels must be class indices"
        }
        throw shapeError("label \(value) at index \(index) of the label blob is not a class in 0..<\(classes)",
                         hint: hint)
    }

    /// Caffe's LOG(FATAL) "cannot backpropagate to label inputs", as an error: throws when
    /// `propagateDown` asks for a gradient of a bottom that `allowsForceBackward` refuses.
    /// `what` names such bottoms ("label", "infogain matrix") by index.
    func refuseGradients(_ propagateDown: [Bool], what: (Int) -> String = { _ in "label" }) throws {
        for i in 0..<propagateDown.count where propagateDown[i] && !allowsForceBackward(bottomIndex: i) {
            let flags = propagateDown.indices.map { "propagate_down: \(allowsForceBackward(bottomIndex: $0))" }
            throw shapeError("\(type) cannot backpropagate to its \(what(i)) input (bottom \(i))",
                             hint: "set '\(flags.joined(separator: " "))' for its bottoms")
        }
    }
}

/// Where a loss finds the classes in its predictions: outer × classes × inner around
/// `axis`, one label per outer · inner position (SoftmaxWithLoss, InfogainLoss).
struct ClassAxis {
    let axis: Int, outerCount: Int, innerCount: Int, classes: Int
}

extension Layer {
    /// The class axis `axis` (the parameter `field`) of `predictions` (`what`: "scores"),
    /// checked against the label count.
    func classAxis(_ axis: Int32, field: String, predictions: Blob, named what: String,
                   labels: Blob) throws -> ClassAxis {
        let axis = try canonicalAxis(axis, numAxes: predictions.numAxes, field: field)
        let geometry = ClassAxis(axis: axis, outerCount: predictions.count(from: 0, to: axis),
                                 innerCount: predictions.count(from: axis + 1), classes: predictions.dim(axis))
        guard geometry.outerCount * geometry.innerCount == labels.count else {
            throw shapeError("the labels (\(labels.shapeString)) must hold one value per prediction: "
                             + "\(geometry.outerCount * geometry.innerCount) for \(what) of shape \(predictions.shapeString)",
                             hint: "with axis \(axis), labels need shape N×H×W where \(what) are N×C×H×W")
        }
        return geometry
    }

    /// Caffe's older losses' view (HingeLoss, MultinomialLogisticLoss): N examples of
    /// count / N values each, one class index per example. Checks and returns (N, K).
    func examplesAndClasses(predictions: Blob, named what: String, labels: Blob) throws -> (examples: Int, classes: Int) {
        guard predictions.numAxes >= 1, predictions.dim(0) > 0 else {
            throw shapeError("the \(what) need a batch dimension, got \(predictions.shapeString)")
        }
        let examples = predictions.dim(0)
        guard labels.count == examples else {
            throw shapeError("the labels (\(labels.shapeString)) must hold one class index per example: "
                             + "\(examples) for \(what) of shape \(predictions.shapeString)", hint: "give the labels shape N")
        }
        return (examples, predictions.count(from: 1))
    }
}
