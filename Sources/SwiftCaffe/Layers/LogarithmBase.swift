#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `base` field shared by Caffe's Exp and Log layers: a positive number, or −1
/// for e. Both layers work with its natural logarithm, which Caffe sets to exactly
/// 1 for −1 rather than computing log(e).
enum LogarithmBase {
    /// log(base), or 1 for base −1; `field` names the parameter ("exp_param.base").
    static func naturalLog(of base: Float, field: String) throws -> Float {
        if base == -1 { return 1 }
        guard base > 0, base.isFinite else {
            throw SwiftCaffeError.invalid(field, "base must be a positive finite number, or -1 for e (got \(base))",
                                          hint: "remove 'base' for the natural base e")
        }
        return logf(base)
    }

    /// Throws unless every named value is finite (`prefix` is e.g. "exp_param.").
    static func requireFinite(_ values: [(name: String, value: Float)], prefix: String) throws {
        for (name, value) in values where !value.isFinite {
            throw SwiftCaffeError.invalid(prefix + name, "\(name) must be a finite number (got \(value))")
        }
    }
}
