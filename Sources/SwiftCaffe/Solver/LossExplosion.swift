/// Warns when the training loss explodes: the smoothed loss (the one the log
/// displays, averaged over `average_loss`) exceeds `factor` (10) times its running mean.
///
/// The running mean is an exponential mean of the smoothed losses, weight `1/warmUp`
/// for each new loss (a memory of about `warmUp` = 20 iterations); nothing is reported
/// before `warmUp` losses have been seen, nor while the mean is not positive. An
/// explosion episode starts when the loss passes `factor` × the mean (one warning) and
/// ends when it falls back below 2 × the mean; losses inside an episode do not enter
/// the mean, so a loss that stays high is one episode and one warning.
public struct LossExplosionDetector: Sendable {
    public let factor: Float
    public let warmUp: Int
    public private(set) var runningMean: Float = 0
    public private(set) var seen = 0
    public private(set) var inEpisode = false

    public init(factor: Float = 10, warmUp: Int = 20) {
        self.factor = factor
        self.warmUp = warmUp
    }

    /// Takes the next smoothed loss; true when it starts an explosion episode (warn now).
    public mutating func observe(_ loss: Float) -> Bool {
        guard loss.isFinite else { return false }  // the solver's NaN stop handles these
        if inEpisode {
            if loss < 2 * runningMean { inEpisode = false } else { return false }
        } else if seen >= warmUp && runningMean > 0 && loss > factor * runningMean {
            inEpisode = true
            return true
        }
        seen += 1
        let weight = 1 / Float(min(seen, warmUp))   // a plain mean until warmUp losses are in
        runningMean += (loss - runningMean) * weight
        return false
    }
}
