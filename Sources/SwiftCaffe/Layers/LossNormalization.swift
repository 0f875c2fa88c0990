import CaffeProto

/// What a loss layer divides its summed loss (and gradient) by: Caffe's
/// `loss_param.normalization`, shared by every loss layer that reads it.
///
/// FULL: every output (outer · inner); VALID: the outputs whose label is not
/// `ignore_label`; BATCH_SIZE: outer (the first dimensions, before the class axis);
/// NONE: 1. Never below 1, so a batch whose labels are all ignored gives 0, not NaN.
struct LossNormalization: Sendable {
    let mode: Caffe_LossParameter.NormalizationMode

    /// The mode `p` asks for: `normalization` if given, else the legacy `normalize`
    /// (true = VALID, false = BATCH_SIZE), else `unset` — each layer's own default in
    /// Caffe (SoftmaxWithLoss VALID, SigmoidCrossEntropyLoss BATCH_SIZE).
    init(_ p: Caffe_LossParameter, unset: Caffe_LossParameter.NormalizationMode) {
        if p.hasNormalization {
            mode = p.normalization
        } else if p.hasNormalize {
            mode = p.normalize ? .valid : .batchSize
        } else {
            mode = unset
        }
    }

    /// Caffe's get_normalizer for `outer` × `inner` outputs of which `valid` count.
    func normalizer(outer: Int, inner: Int, valid: Int) -> Float {
        let value: Int
        switch mode {
        case .full: value = outer * inner
        case .valid: value = valid
        case .batchSize: value = outer
        case .none: value = 1
        }
        return Float(max(1, value))
    }
}
