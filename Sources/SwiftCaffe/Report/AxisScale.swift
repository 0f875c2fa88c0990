import Foundation

/// An axis's range and its ticks at "nice" numbers: steps of 1, 2 or 5 times a power of
/// ten on a linear axis, powers of ten (with 2 and 5 between them when the range spans
/// few decades) on a logarithmic one.
public struct AxisScale: Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var ticks: [Double]
    public var logarithmic: Bool

    /// A linear scale covering `values` with about `count` ticks; the range is widened
    /// to the outer ticks.
    public static func linear(_ values: [Double], count: Int = 5) -> AxisScale {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = niceStep((high - low) / Double(max(count, 1)))
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        var ticks: [Double] = []
        var k = 0.0
        while first + k * step <= last + step * 1e-9 {
            let t = first + k * step
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            k += 1
        }
        return AxisScale(lower: first, upper: last, ticks: ticks, logarithmic: false)
    }

    /// A log-10 scale over the positive `values` (nil when there are none).
    public static func logarithmic(_ values: [Double]) -> AxisScale? {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        guard let low = positive.min(), let high = positive.max() else { return nil }
        let lowDecade = log10(low).rounded(.down), highDecade = max(log10(high).rounded(.up), lowDecade + 1)
        var ticks: [Double] = []
        let multipliers: [Double] = highDecade - lowDecade <= 2 ? [1, 2, 5] : [1]
        var decade = lowDecade
        while decade <= highDecade {
            for m in multipliers {
                let t = m * pow(10, decade)
                if t <= pow(10, highDecade) * (1 + 1e-9) { ticks.append(t) }
            }
            decade += 1
        }
        return AxisScale(lower: pow(10, lowDecade), upper: pow(10, highDecade), ticks: ticks, logarithmic: true)
    }

    /// 1, 2 or 5 times a power of ten, the smallest at least `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }

    /// Where `value` falls between lower (0) and upper (1).
    public func fraction(_ value: Double) -> Double {
        if logarithmic {
            return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
        return (value - lower) / (upper - lower)
    }

    /// A tick's label: as few decimals as the step needs, or powers of ten compactly.
    public func label(_ value: Double) -> String {
        if logarithmic {
            if abs(value) >= 1e-3 && abs(value) < 1e5 { return Self.trimmed(String(format: "%.4f", value)) }
            return String(format: "%.0e", value).replacingOccurrences(of: "e-0", with: "e-")
                .replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
        }
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        if abs(value) >= 1e6 || (abs(value) < 1e-4 && value != 0) { return String(format: "%.3g", value) }
        let decimals = max(0, Int(-log10(step).rounded(.down)))
        return String(format: "%.\(decimals)f", value)
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var t = text
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
