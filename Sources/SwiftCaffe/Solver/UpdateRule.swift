import CaffeProto
import Foundation

/// Caffe's solver methods (`type:` in the solver).
public enum SolverType: String, CaseIterable {
    case sgd = "SGD", nesterov = "Nesterov", adaGrad = "AdaGrad", rmsProp = "RMSProp"
    case adaDelta = "AdaDelta", adam = "Adam"

    /// History blobs kept per parameter: AdaDelta and Adam keep two (the second set
    /// stored after the first, as in Caffe's solverstate).
    public var historyPerParameter: Int { self == .adaDelta || self == .adam ? 2 : 1 }
}

/// The parameter update of Caffe's `SGDSolver::ApplyUpdate` and its subclasses, run
/// after the gradients of an iteration are in the parameters' diffs:
///
/// 1. clip: if `clip_gradients` ≥ 0 and the global L2 norm of all diffs exceeds it,
///    scale every diff by `clip_gradients / norm`;
/// 2. normalize: diff ·= 1/iter_size;
/// 3. regularize: diff += weight_decay·decay_mult·w (L2) or ·sign(w) (L1);
/// 4. compute the update from diff and history with rate = lr·lr_mult (per method):
///    - SGD:      h = m·h + rate·g;                       update = h
///    - Nesterov: h' = m·h + rate·g;                      update = (1+m)·h' − m·h
///    - AdaGrad:  h += g²;                                update = rate·g/(√h + δ)
///    - RMSProp:  h = ρ·h + (1−ρ)·g²;                     update = rate·g/(√h + δ)
///    - AdaDelta: h = m·h + (1−m)·g²; u = g·√((h₂+δ)/(h+δ)); h₂ = m·h₂ + (1−m)·u²; update = rate·u
///    - Adam:     m₁ = β₁·m₁ + (1−β₁)·g; v = β₂·v + (1−β₂)·g²;
///                update = rate·√(1−β₂ᵗ)/(1−β₁ᵗ)·m₁/(√v + δ), t = iter+1
/// 5. w −= update.
///
/// History buffers are allocated once; the update loops allocate nothing.
public final class UpdateRule {
    public let type: SolverType
    public let params: [Blob]
    public let lrMultipliers: [Float]
    public let decayMultipliers: [Float]
    /// `params.count · type.historyPerParameter` blobs, the second set after the first.
    public let history: [Blob]
    let momentum: Float, momentum2: Float, delta: Float, rmsDecay: Float
    let weightDecay: Float, l1: Bool, clipGradients: Float, iterSize: Int

    public init(_ p: Caffe_SolverParameter, params: [Blob], lrMultipliers: [Float], decayMultipliers: [Float]) throws {
        let typeName = p.type
        guard let type = SolverType(rawValue: typeName) else {
            let names = SolverType.allCases.map(\.rawValue)
            throw SwiftCaffeError.invalid("type", "unknown solver type '\(typeName)'",
                                          hint: Suggest.didYouMean(typeName, among: names)
                                            ?? "use one of \(names.joined(separator: ", "))")
        }
        guard p.regularizationType == "L2" || p.regularizationType == "L1" else {
            throw SwiftCaffeError.invalid("regularization_type", "unknown regularization type '\(p.regularizationType)'",
                                          hint: "use \"L2\" or \"L1\"")
        }
        if type == .adaGrad || type == .rmsProp, p.momentum != 0 {
            throw SwiftCaffeError.invalid("momentum", "momentum cannot be used with \(type.rawValue) (got \(p.momentum))",
                                          hint: "remove the momentum line")
        }
        if type == .rmsProp, !(p.rmsDecay >= 0 && p.rmsDecay < 1) {
            throw SwiftCaffeError.invalid("rms_decay", "rms_decay must be in [0, 1) (got \(p.rmsDecay))")
        }
        guard p.iterSize >= 1 else {
            throw SwiftCaffeError.invalid("iter_size", "iter_size must be at least 1 (got \(p.iterSize))")
        }
        precondition(params.count == lrMultipliers.count && params.count == decayMultipliers.count)
        self.type = type
        self.params = params
        self.lrMultipliers = lrMultipliers
        self.decayMultipliers = decayMultipliers
        var history: [Blob] = []
        for _ in 0..<type.historyPerParameter {
            for param in params {
                let h = try Blob(shape: param.shape)
                try h.allocate()
                h.fillData(0)
                history.append(h)
            }
        }
        self.history = history
        momentum = p.momentum
        momentum2 = p.momentum2
        delta = p.delta
        rmsDecay = p.rmsDecay
        weightDecay = p.weightDecay
        l1 = p.regularizationType == "L1"
        clipGradients = p.clipGradients
        iterSize = Int(p.iterSize)
    }

    /// Applies one update with learning rate `rate` at iteration `iter` (steps 1-5).
    /// Returns Caffe's gradient-clipping log line when the gradients were clipped.
    @discardableResult
    public func apply(rate: Float, iter: Int) -> String? {
        let note = clip()
        for i in params.indices {
            let param = params[i], n = param.count
            let w = param.data, g = param.diff
            if iterSize > 1 { BLAS.scal(n, alpha: 1 / Float(iterSize), x: g) }
            let localDecay = weightDecay * decayMultipliers[i]
            if localDecay != 0 {
                if l1 {
                    Parallel.forRanges(n) { s, e in
                        for k in s..<e { g[k] += localDecay * (w[k] > 0 ? 1 : (w[k] < 0 ? -1 : 0)) }
                    }
                } else {
                    BLAS.axpy(n, alpha: localDecay, x: w, y: g)
                }
            }
            computeUpdate(i, localRate: rate * lrMultipliers[i], iter: iter)
            BLAS.axpy(n, alpha: -1, x: g, y: w)   // Caffe's Net::Update: w -= diff
        }
        return note
    }

    /// Global L2 clipping of all parameter diffs (Caffe's ClipGradients).
    func clip() -> String? {
        guard clipGradients >= 0 else { return nil }
        // Index loops: `for p in array` allocates in debug builds with this toolchain.
        var sumsq: Float = 0
        for i in params.indices { sumsq += BLAS.dot(params[i].count, params[i].diff, params[i].diff) }
        let norm = sumsq.squareRoot()
        guard norm > clipGradients else { return nil }
        let scale = clipGradients / norm
        for i in params.indices { BLAS.scal(params[i].count, alpha: scale, x: params[i].diff) }
        return "Gradient clipping: scaling down gradients (L2 norm \(SolverLog.number(norm)) > "
            + "\(SolverLog.number(clipGradients))) by scale factor \(SolverLog.number(scale))"
    }

    /// Step 4 for parameter `i`: replaces its diff (the regularized gradient) by the update.
    func computeUpdate(_ i: Int, localRate: Float, iter: Int) {
        let n = params[i].count
        let g = params[i].diff, h = history[i].data
        let m = momentum, d = delta
        switch type {
        case .sgd:
            Parallel.forRanges(n) { s, e in
                for k in s..<e {
                    h[k] = localRate * g[k] + m * h[k]
                    g[k] = h[k]
                }
            }
        case .nesterov:
            Parallel.forRanges(n) { s, e in
                for k in s..<e {
                    let previous = h[k]
                    h[k] = localRate * g[k] + m * previous
                    g[k] = (1 + m) * h[k] - m * previous
                }
            }
        case .adaGrad:
            Parallel.forRanges(n) { s, e in
                for k in s..<e {
                    h[k] += g[k] * g[k]
                    g[k] = localRate * (g[k] / (h[k].squareRoot() + d))
                }
            }
        case .rmsProp:
            let rho = rmsDecay
            Parallel.forRanges(n) { s, e in
                for k in s..<e {
                    h[k] = (1 - rho) * (g[k] * g[k]) + rho * h[k]
                    g[k] = localRate * (g[k] / (h[k].squareRoot() + d))
                }
            }
        case .adaDelta:
            let h2 = history[params.count + i].data
            Parallel.forRanges(n) { s, e in
                for k in s..<e {
                    h[k] = (1 - m) * (g[k] * g[k]) + m * h[k]
                    let u = g[k] * ((h2[k] + d) / (h[k] + d)).squareRoot()
                    h2[k] = (1 - m) * (u * u) + m * h2[k]
                    g[k] = localRate * u
                }
            }
        case .adam:
            let v = history[params.count + i].data
            let beta1 = momentum, beta2 = momentum2
            let t = Double(iter + 1)
            let correction = Float((1 - Foundation.pow(Double(beta2), t)).squareRoot()
                                   / (1 - Foundation.pow(Double(beta1), t)))
            let scale = localRate * correction
            Parallel.forRanges(n) { s, e in
                for k in s..<e {
                    h[k] = (1 - beta1) * g[k] + beta1 * h[k]
                    v[k] = (1 - beta2) * (g[k] * g[k]) + beta2 * v[k]
                    g[k] = scale * (h[k] / (v[k].squareRoot() + d))
                }
            }
        }
    }
}
