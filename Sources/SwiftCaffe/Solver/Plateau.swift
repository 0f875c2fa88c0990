import CaffeProto

/// The `plateau` learning-rate policy (SwiftCaffe's addition, the AlexNet paper's
/// schedule): the rate is `base_lr · lr_scale`, and `lr_scale` is multiplied by `gamma`
/// whenever the watched test output has not improved for `plateau_patience` test
/// passes, at most `plateau_max_drops` times.
///
/// The watched output is `plateau_monitor`, or by default the first test output whose
/// name contains "accuracy" (else the first whose name contains "loss", else the
/// first output). Higher is better, except for an output whose name contains "loss".
/// An improvement must exceed `plateau_threshold`. Patience 0 (or unset) never drops.
public final class PlateauSchedule {
    public let patience: Int
    public let maxDrops: Int
    public let gamma: Float
    public let threshold: Float
    public let monitor: String
    public let lowerIsBetter: Bool

    /// Best value seen so far (nil before the first test pass).
    public private(set) var best: Float?
    public private(set) var runsSinceBest = 0
    public private(set) var drops = 0
    public private(set) var lrScale: Float = 1

    /// `outputs`: the names of the first test net's outputs, to choose and check the monitor.
    public init(_ p: Caffe_SolverParameter, outputs: [String]) throws {
        patience = Int(p.plateauPatience)
        maxDrops = Int(p.plateauMaxDrops)
        gamma = p.gamma
        threshold = p.plateauThreshold
        if p.hasPlateauMonitor && !p.plateauMonitor.isEmpty {
            guard outputs.contains(p.plateauMonitor) else {
                throw SwiftCaffeError.invalid("plateau_monitor",
                    "plateau_monitor '\(p.plateauMonitor)' is not an output of the test net",
                    hint: Suggest.didYouMean(p.plateauMonitor, among: outputs)
                        ?? (outputs.isEmpty ? "the test net has no outputs"
                            : "test net outputs: " + outputs.joined(separator: ", ")))
            }
            monitor = p.plateauMonitor
        } else if let name = outputs.first(where: { $0.lowercased().contains("accuracy") })
                    ?? outputs.first(where: { $0.lowercased().contains("loss") }) ?? outputs.first {
            monitor = name
        } else {
            throw SwiftCaffeError.invalid("lr_policy", "lr_policy \"plateau\" needs a test net output to watch",
                                          hint: "add a test net (test_iter, test_interval) with an accuracy or loss output")
        }
        lowerIsBetter = monitor.lowercased().contains("loss")
    }

    /// Records one test pass's value of the monitored output. Returns true if the
    /// rate was cut.
    @discardableResult
    public func observe(_ value: Float) -> Bool {
        guard let current = best else {
            best = value
            runsSinceBest = 0
            return false
        }
        let improved = lowerIsBetter ? value < current - threshold : value > current + threshold
        if improved {
            best = value
            runsSinceBest = 0
            return false
        }
        runsSinceBest += 1
        if patience > 0 && runsSinceBest >= patience && drops < maxDrops {
            lrScale *= gamma
            drops += 1
            runsSinceBest = 0
            return true
        }
        return false
    }

    /// The state saved in a .solverstate (`SolverState.plateau_state`).
    public var state: Caffe_PlateauState {
        var s = Caffe_PlateauState()
        if let best { s.best = best }
        s.runsSinceBest = Int32(runsSinceBest)
        s.drops = Int32(drops)
        s.lrScale = lrScale
        return s
    }

    public func restore(_ s: Caffe_PlateauState) {
        best = s.hasBest ? s.best : nil
        runsSinceBest = Int(s.runsSinceBest)
        drops = Int(s.drops)
        lrScale = s.lrScale
    }
}
