#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times a net layer by layer, as `caffe time` does: every iteration runs each
/// layer's forward in order, then each layer's backward in reverse order, timing each.
///
/// Nets without a loss (deploy nets) are timed from their outputs back to their
/// inputs: the outputs' gradients are set to 1 and every layer runs backward.
///
/// With `update` set, each iteration also runs a solver's parameter update after the
/// backward pass and then zeroes the parameter diffs, as a training step does; the two
/// are timed on their own and are not part of the forward-backward figures.
public struct NetTimer {
    /// A solver's update to time after each backward pass, given as closures (the
    /// solver sits above the net; `swiftcaffe time --solver` makes them from an UpdateRule).
    public struct Update {
        /// The parameter update (clipping, regularization, the method, w −= update).
        public var apply: () -> Void
        /// What a training step does before its next forward: zero the parameter diffs.
        public var zeroDiffs: () -> Void

        public init(apply: @escaping () -> Void, zeroDiffs: @escaping () -> Void) {
            self.apply = apply
            self.zeroDiffs = zeroDiffs
        }
    }

    public struct Result {
        public var layerNames: [String]
        public var layerTypes: [String]
        /// Per layer, average milliseconds per iteration.
        public var forwardMilliseconds: [Double]
        public var backwardMilliseconds: [Double]
        /// Per layer, what computes it ("openblas", "dnnl jit:… nChw16c").
        public var engines: [String] = []
        /// Per layer, average milliseconds per iteration spent converting layouts
        /// (plain NCHW ↔ the engine's), included in the forward and backward times.
        public var conversionMilliseconds: [Double] = []
        public var iterations: Int
        public var batchSize: Int
        public var totalMilliseconds: Double
        /// Average milliseconds per iteration of the solver update and of zeroing the
        /// parameter diffs (0 without `update`).
        public var updateMilliseconds: Double = 0
        public var zeroDiffMilliseconds: Double = 0

        public var averageForward: Double { forwardMilliseconds.reduce(0, +) }
        public var averageBackward: Double { backwardMilliseconds.reduce(0, +) }
        public var averageForwardBackward: Double { totalMilliseconds / Double(max(iterations, 1)) }
        public var imagesPerSecond: Double {
            Throughput.imagesPerSecond(images: batchSize, seconds: averageForwardBackward / 1000) ?? 0
        }
    }

    public let net: Net
    public var update: Update?

    public init(net: Net, update: Update? = nil) {
        self.net = net
        self.update = update
    }

    /// Runs one untimed warm-up iteration (allocation, caches), then `iterations` timed ones.
    /// `progress` is called after each timed iteration with its index and milliseconds.
    public func run(iterations: Int, progress: (Int, Double) -> Void = { _, _ in }) throws -> Result {
        let count = net.layers.count
        var forward = [Double](repeating: 0, count: count)
        var backward = [Double](repeating: 0, count: count)
        let hasLoss = net.layers.contains { $0.lossWeights.contains { $0 != 0 } }
        try net.allocate()
        try iteration(hasLoss: hasLoss, forward: nil, backward: nil)
        var updateTotal = 0.0, zeroTotal = 0.0
        if update != nil { _ = updateAndZero() }
        for layer in net.layers { layer.resetConversionTime() }
        var total = 0.0
        for i in 0..<iterations {
            let start = Self.now()
            try iteration(hasLoss: hasLoss, forward: &forward, backward: &backward)
            let elapsed = Self.now() - start
            total += elapsed
            if update != nil {
                let (u, z) = updateAndZero()
                updateTotal += u
                zeroTotal += z
            }
            progress(i + 1, elapsed)
        }
        let n = Double(max(iterations, 1))
        var result = Result(layerNames: net.layers.map(\.name), layerTypes: net.layers.map(\.type),
                      forwardMilliseconds: forward.map { $0 / n }, backwardMilliseconds: backward.map { $0 / n },
                      engines: net.layers.map(\.engineDescription),
                      conversionMilliseconds: net.layers.map { Double($0.conversionNanoseconds) / 1e6 / n },
                      iterations: iterations, batchSize: net.batchSize ?? 1, totalMilliseconds: total)
        result.updateMilliseconds = updateTotal / n
        result.zeroDiffMilliseconds = zeroTotal / n
        return result
    }

    /// Runs `update` and then zeroes the parameter diffs; their milliseconds.
    private func updateAndZero() -> (update: Double, zero: Double) {
        guard let update else { return (0, 0) }
        let start = Self.now()
        update.apply()
        let updated = Self.now()
        update.zeroDiffs()
        return (updated - start, Self.now() - updated)
    }

    private func iteration(hasLoss: Bool, forward: UnsafeMutablePointer<[Double]>?,
                           backward: UnsafeMutablePointer<[Double]>?) throws {
        for i in net.layers.indices {
            let start = Self.now()
            try net.layers[i].forward(bottom: net.bottoms(ofLayer: i), top: net.tops(ofLayer: i))
            forward?.pointee[i] += Self.now() - start
        }
        if hasLoss {
            for i in net.layers.indices {
                for (j, w) in net.layers[i].lossWeights.enumerated() where w != 0 { net.tops(ofLayer: i)[j].fillDiff(w) }
            }
        } else {
            for id in net.outputIDs { net.blobs[id].fillDiff(1) }
        }
        for i in net.layers.indices.reversed() where net.layerNeedsBackward[i] || !hasLoss {
            let start = Self.now()
            let propagate = hasLoss ? net.bottomNeedsBackward[i]
                : net.bottomIDs[i].indices.map { net.layers[i].allowsForceBackward(bottomIndex: $0) }
            try net.layers[i].backward(top: net.tops(ofLayer: i), propagateDown: propagate, bottom: net.bottoms(ofLayer: i))
            backward?.pointee[i] += Self.now() - start
        }
    }

    /// Milliseconds on a monotonic clock.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1_000_000
    }
}
