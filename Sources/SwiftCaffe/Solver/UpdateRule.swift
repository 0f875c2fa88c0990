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
/// `apply` does steps 1-5 in one multi-threaded pass per parameter blob.
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

    /// Zeroes every parameter's diff (the start of a training step: backward passes
    /// accumulate into them).
    public func zeroDiffs() {
        for i in params.indices { params[i].fillDiff(0) }
    }

    /// Elements one worker handles at a time in the fused pass: 4096 floats are 16 KB
    /// per array, so a block of w, diff and both histories (64 KB) stays in L2 between
    /// the steps that touch it, and each element comes from memory once per update.
    /// Below OpenBLAS's threading threshold (10,000 for axpy), so its calls on a block
    /// run on the calling worker.
    static let blockSize = 4096

    /// Applies one update with learning rate `rate` at iteration `iter` (steps 1-5).
    /// Returns Caffe's gradient-clipping log line when the gradients were clipped.
    ///
    /// One pass over each parameter blob, split over the worker pool and walked in
    /// blocks of `blockSize`: per block, the clip and 1/iter_size scalings, the weight
    /// decay, the method's update and w −= update run back to back while the block is
    /// in cache. Each step is the same floating-point operation as in
    /// `applyInSeparatePasses` (Caffe's sequence of whole-blob BLAS calls): the scalings
    /// and the L2 decay are the same OpenBLAS calls on a block (element-wise routines, so
    /// a block's result is the whole call's — fused multiply-add or not, as OpenBLAS
    /// computes it on this CPU), and the method's formulas are `methodUpdate`, shared by
    /// both paths. The results are bit-identical (UpdateRuleFusedTests).
    @discardableResult
    public func apply(rate: Float, iter: Int) -> String? {
        let (note, clipScale) = clipScale()
        let inverseIterSize = 1 / Float(iterSize)
        for i in params.indices {
            let param = params[i], n = param.count
            let w = param.data, g = param.diff
            let localDecay = weightDecay * decayMultipliers[i]
            let rates = methodRates(localRate: rate * lrMultipliers[i], iter: iter)
            let l1 = self.l1, iterSize = self.iterSize, block = Self.blockSize
            Parallel.forRanges(n) { start, end in
                var b = start
                while b < end {
                    let e = min(end, b + block), count = e - b
                    if let clipScale { BLAS.scal(count, alpha: clipScale, x: g + b) }
                    if iterSize > 1 { BLAS.scal(count, alpha: inverseIterSize, x: g + b) }
                    if localDecay != 0 {
                        if l1 {
                            Self.addL1Decay(localDecay, w: w, g: g, b, e)
                        } else {
                            BLAS.axpy(count, alpha: localDecay, x: w + b, y: g + b)
                        }
                    }
                    methodUpdate(i, rates, b, e)
                    // Caffe's Net::Update, w −= diff: axpy with alpha −1 rounds once to
                    // w − diff (−1·diff is exact), as this subtraction does.
                    var k = b
                    while k + 8 <= e {
                        Self.store8(Self.load8(w + k) - Self.load8(g + k), w + k)
                        k += 8
                    }
                    while k < e {
                        w[k] -= g[k]
                        k += 1
                    }
                    b = e
                }
            }
        }
        return note
    }

    /// L1 decay over elements start..<end: g += decay · sign(w).
    @inline(__always)
    static func addL1Decay(_ decay: Float, w: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                           _ start: Int, _ end: Int) {
        for k in start..<end { g[k] += decay * (w[k] > 0 ? 1 : (w[k] < 0 ? -1 : 0)) }
    }

    /// Caffe's ClipGradients, decided: the global L2 norm of all parameter diffs and,
    /// when it exceeds `clip_gradients`, the log line and the factor to scale every
    /// diff by (`clip_gradients / norm`; applied by the caller).
    func clipScale() -> (note: String?, scale: Float?) {
        guard clipGradients >= 0 else { return (nil, nil) }
        // Index loops: `for p in array` allocates in debug builds with this toolchain.
        var sumsq: Float = 0
        for i in params.indices { sumsq += BLAS.dot(params[i].count, params[i].diff, params[i].diff) }
        let norm = sumsq.squareRoot()
        guard norm > clipGradients else { return (nil, nil) }
        let scale = clipGradients / norm
        return ("Gradient clipping: scaling down gradients (L2 norm \(SolverLog.number(norm)) > "
                + "\(SolverLog.number(clipGradients))) by scale factor \(SolverLog.number(scale))", scale)
    }

    /// The per-parameter constants of step 4: the rate (lr · lr_mult) and, for Adam,
    /// that rate times the bias correction √(1−β₂ᵗ)/(1−β₁ᵗ), t = iter + 1.
    struct MethodRates {
        var rate: Float
        var adam: Float
    }

    func methodRates(localRate: Float, iter: Int) -> MethodRates {
        guard type == .adam else { return MethodRates(rate: localRate, adam: 0) }
        let t = Double(iter + 1)
        let correction = Float((1 - Foundation.pow(Double(momentum2), t)).squareRoot()
                               / (1 - Foundation.pow(Double(momentum), t)))
        return MethodRates(rate: localRate, adam: localRate * correction)
    }

    /// Step 4 for elements start..<end of parameter `i`: replaces its diff (the
    /// regularized gradient) by the update and advances the history.
    @inline(__always)
    func methodUpdate(_ i: Int, _ rates: MethodRates, _ start: Int, _ end: Int) {
        let g = params[i].diff, h = history[i].data
        let m = momentum, d = delta, localRate = rates.rate
        switch type {
        // SGD and Nesterov (the reference nets' methods) in explicit 8-lane vectors: the
        // compiler leaves these loops scalar (it cannot rule out that g and h overlap).
        // Lanes compute exactly the scalar expressions (Swift contracts no a·b + c into
        // a fused multiply-add), so the results do not change.
        case .sgd:
            let rateV = SIMD8<Float>(repeating: localRate), mV = SIMD8<Float>(repeating: m)
            var k = start
            while k + 8 <= end {
                let hk = rateV * Self.load8(g + k) + mV * Self.load8(h + k)
                Self.store8(hk, h + k)
                Self.store8(hk, g + k)
                k += 8
            }
            while k < end {
                h[k] = localRate * g[k] + m * h[k]
                g[k] = h[k]
                k += 1
            }
        case .nesterov:
            let rateV = SIMD8<Float>(repeating: localRate), mV = SIMD8<Float>(repeating: m)
            let onePlusM = SIMD8<Float>(repeating: 1 + m)
            var k = start
            while k + 8 <= end {
                let previous = Self.load8(h + k)
                let hk = rateV * Self.load8(g + k) + mV * previous
                Self.store8(hk, h + k)
                Self.store8(onePlusM * hk - mV * previous, g + k)
                k += 8
            }
            while k < end {
                let previous = h[k]
                h[k] = localRate * g[k] + m * previous
                g[k] = (1 + m) * h[k] - m * previous
                k += 1
            }
        case .adaGrad:
            for k in start..<end {
                h[k] += g[k] * g[k]
                g[k] = localRate * (g[k] / (h[k].squareRoot() + d))
            }
        case .rmsProp:
            let rho = rmsDecay
            for k in start..<end {
                h[k] = (1 - rho) * (g[k] * g[k]) + rho * h[k]
                g[k] = localRate * (g[k] / (h[k].squareRoot() + d))
            }
        case .adaDelta:
            let h2 = history[params.count + i].data
            for k in start..<end {
                h[k] = (1 - m) * (g[k] * g[k]) + m * h[k]
                let u = g[k] * ((h2[k] + d) / (h[k] + d)).squareRoot()
                h2[k] = (1 - m) * (u * u) + m * h2[k]
                g[k] = localRate * u
            }
        case .adam:
            let v = history[params.count + i].data
            let beta1 = momentum, beta2 = momentum2, scale = rates.adam
            for k in start..<end {
                h[k] = (1 - beta1) * g[k] + beta1 * h[k]
                v[k] = (1 - beta2) * (g[k] * g[k]) + beta2 * v[k]
                g[k] = scale * (h[k] / (v[k].squareRoot() + d))
            }
        }
    }

    @inline(__always)
    static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
