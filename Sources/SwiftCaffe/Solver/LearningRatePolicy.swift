import CaffeProto
import Foundation

/// Caffe's learning-rate schedules (`lr_policy`), as pure functions of the iteration.
///
/// - fixed: `base_lr`
/// - step: `base_lr · γ^⌊iter / stepsize⌋`
/// - exp: `base_lr · γ^iter`
/// - inv: `base_lr · (1 + γ·iter)^(−power)`
/// - multistep: `base_lr · γ^k`, k = number of `stepvalue`s ≤ iter
/// - poly: `base_lr · (1 − iter/max_iter)^power`
/// - sigmoid: `base_lr / (1 + e^(−γ·(iter − stepsize)))`
/// - plateau (SwiftCaffe): `base_lr · lr_scale`, lr_scale kept by `PlateauSchedule`.
///
/// Rates are computed in Double from the Float parameters and returned as Float, as
/// Caffe's `pow` on mixed float/int arguments does.
public enum LearningRatePolicy {
    public static let names = ["fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid", "plateau"]

    /// Checks the fields the policy needs (at solver start, before iteration 0).
    public static func validate(_ p: Caffe_SolverParameter) throws {
        let policy = p.lrPolicy
        guard p.hasLrPolicy else {
            throw SwiftCaffeError.invalid("lr_policy", "the solver has no lr_policy",
                                          hint: "add e.g. 'lr_policy: \"fixed\"' (one of \(names.joined(separator: ", ")))")
        }
        guard names.contains(policy) else {
            throw SwiftCaffeError.invalid("lr_policy", "unknown learning rate policy '\(policy)'",
                                          hint: Suggest.didYouMean(policy, among: names)
                                            ?? "use one of \(names.joined(separator: ", "))")
        }
        func need(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw SwiftCaffeError.invalid(field, message) }
        }
        switch policy {
        case "step":
            try need(p.stepsize > 0, "stepsize", "lr_policy \"step\" needs stepsize > 0 (got \(p.stepsize))")
            try need(p.gamma >= 0, "gamma", "lr_policy \"step\" needs gamma ≥ 0 (got \(p.gamma))")
        case "exp", "inv", "multistep":
            try need(p.gamma >= 0, "gamma", "lr_policy \"\(policy)\" needs gamma ≥ 0 (got \(p.gamma))")
            guard policy == "multistep" else { break }
            // Caffe moves to the next stepvalue once the current one is reached, so a value
            // not above the one before it would not take effect where it is written.
            for i in p.stepvalue.indices.dropFirst() where p.stepvalue[i] <= p.stepvalue[i - 1] {
                throw SwiftCaffeError.invalid("stepvalue[\(i)]",
                    "stepvalue \(p.stepvalue[i]) does not come after the previous stepvalue \(p.stepvalue[i - 1])",
                    hint: "list the stepvalues in increasing order, each once")
            }
        case "poly":
            try need(p.maxIter > 0, "max_iter", "lr_policy \"poly\" needs max_iter > 0")
        case "sigmoid":
            try need(p.gamma >= 0, "gamma", "lr_policy \"sigmoid\" needs gamma ≥ 0 (got \(p.gamma))")
            try need(p.stepsize > 0, "stepsize", "lr_policy \"sigmoid\" needs stepsize > 0 (got \(p.stepsize))")
        case "plateau":
            try need(p.hasGamma && p.gamma > 0 && p.gamma <= 1, "gamma",
                     "lr_policy \"plateau\" needs a gamma in (0, 1], the factor applied at each drop")
            try need(p.plateauPatience >= 0, "plateau_patience", "plateau_patience must be ≥ 0")
            try need(p.plateauMaxDrops >= 0, "plateau_max_drops", "plateau_max_drops must be ≥ 0")
        default:
            break
        }
    }

    /// Caffe's `current_step` for `iter`: ⌊iter/stepsize⌋ for "step", the number of
    /// stepvalues reached for "multistep", otherwise 0.
    public static func currentStep(_ p: Caffe_SolverParameter, iter: Int) -> Int {
        Schedule(p).currentStep(iter: iter)
    }

    /// The learning rate at `iter`. `lrScale` is the plateau policy's current factor.
    public static func rate(_ p: Caffe_SolverParameter, iter: Int, lrScale: Float = 1) -> Float {
        Schedule(p).rate(iter: iter, lrScale: lrScale)
    }

    /// A policy's fields read once from the SolverParameter, so that the per-iteration
    /// rate touches no protobuf message and allocates nothing.
    public struct Schedule {
        public enum Kind { case fixed, step, exp, inv, multistep, poly, sigmoid, plateau }
        public let kind: Kind
        let baseLr: Float, gamma: Double, power: Double
        let stepsize: Int, maxIter: Int
        let stepvalues: [Int]

        public init(_ p: Caffe_SolverParameter) {
            switch p.lrPolicy {
            case "step": kind = .step
            case "exp": kind = .exp
            case "inv": kind = .inv
            case "multistep": kind = .multistep
            case "poly": kind = .poly
            case "sigmoid": kind = .sigmoid
            case "plateau": kind = .plateau
            default: kind = .fixed
            }
            baseLr = p.baseLr
            gamma = Double(p.gamma)
            power = Double(p.power)
            stepsize = Int(p.stepsize)
            maxIter = Int(p.maxIter)
            stepvalues = p.stepvalue.map { Int($0) }
        }

        public func currentStep(iter: Int) -> Int {
            switch kind {
            case .step: return stepsize > 0 ? iter / stepsize : 0
            case .multistep:
                var reached = 0
                for i in stepvalues.indices where stepvalues[i] <= iter { reached += 1 }  // (for-in allocates in debug)
                return reached
            default: return 0
            }
        }

        public func rate(iter: Int, lrScale: Float = 1) -> Float {
            let base = Double(baseLr), it = Double(iter)
            switch kind {
            case .step, .multistep:
                return Float(base * Foundation.pow(gamma, Double(currentStep(iter: iter))))
            case .exp:
                return Float(base * Foundation.pow(gamma, it))
            case .inv:
                return Float(base * Foundation.pow(1 + gamma * it, -power))
            case .poly:
                return Float(base * Foundation.pow(1 - it / Double(maxIter), power))
            case .sigmoid:
                return Float(base * (1 / (1 + Foundation.exp(-gamma * (it - Double(stepsize))))))
            case .plateau:
                return baseLr * lrScale
            case .fixed:
                return baseLr
            }
        }
    }
}
