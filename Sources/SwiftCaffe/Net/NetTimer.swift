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
public struct NetTimer {
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

        public var averageForward: Double { forwardMilliseconds.reduce(0, +) }
        public var averageBackward: Double { backwardMilliseconds.reduce(0, +) }
        public var averageForwardBackward: Double { totalMilliseconds / Double(max(iterations, 1)) }
        public var imagesPerSecond: Double {
            Throughput.imagesPerSecond(images: batchSize, seconds: averageForwardBackward / 1000) ?? 0
        }
    }

    public let net: Net

    public init(net: Net) { self.net = net }

    /// Runs one untimed warm-up iteration (allocation, caches), then `iterations` timed ones.
    /// `progress` is called after each timed iteration with its index and milliseconds.
    public func run(iterations: Int, progress: (Int, Double) -> Void = { _, _ in }) throws -> Result {
        let count = net.layers.count
        var forward = [Double](repeating: 0, count: count)
        var backward = [Double](repeating: 0, count: count)
        let hasLoss = net.layers.contains { $0.lossWeights.contains { $0 != 0 } }
        try net.allocate()
        try iteration(hasLoss: hasLoss, forward: nil, backward: nil)
        for layer in net.layers { layer.resetConversionTime() }
        var total = 0.0
        for i in 0..<iterations {
            let start = Self.now()
            try iteration(hasLoss: hasLoss, forward: &forward, backward: &backward)
            let elapsed = Self.now() - start
            total += elapsed
            progress(i + 1, elapsed)
        }
        let n = Double(max(iterations, 1))
        return Result(layerNames: net.layers.map(\.name), layerTypes: net.layers.map(\.type),
                      forwardMilliseconds: forward.map { $0 / n }, backwardMilliseconds: backward.map { $0 / n },
                      engines: net.layers.map(\.engineDescription),
                      conversionMilliseconds: net.layers.map { Double($0.conversionNanoseconds) / 1e6 / n },
                      iterations: iterations, batchSize: net.batchSize ?? 1, totalMilliseconds: total)
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
