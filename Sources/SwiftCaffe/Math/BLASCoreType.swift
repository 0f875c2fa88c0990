import CBLAS
import Foundation

/// Which OpenBLAS kernels run the GEMMs.
///
/// Debian's OpenBLAS is built for many CPUs at once and picks its kernels when it is
/// loaded, from the CPU's vendor, family and model numbers. A model it does not know
/// — virtual machines often present a generic "Intel Xeon Processor" — gets the
/// SSE3 "Prescott" kernels even when the CPU has AVX2 or AVX-512, which makes every
/// convolution about twice as slow. OpenBLAS takes the choice from the environment
/// variable OPENBLAS_CORETYPE instead, but only when it loads; so the `swiftcaffe`
/// executable checks the choice first thing and, if the CPU's own feature flags
/// allow better kernels, starts itself again with OPENBLAS_CORETYPE set
/// (`ThreadSettings.restartWithStartupEnvironmentIfNeeded`, which sets what the
/// thread pools read at load time in the same restart).
public enum BLASCoreType {
    /// The kernels OpenBLAS chose ("Prescott", "Haswell", "SkylakeX", …).
    public static var current: String { String(cString: openblas_get_corename()) }

    /// Kernel families that use no AVX2/FMA: what OpenBLAS falls back to on x86-64.
    static let legacyCores: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai",
        "coppermine", "northwood", "banias", "opteron", "opteron_sse3", "barcelona",
        "bobcat", "unknown", "sandybridge", "bulldozer", "piledriver",
    ]

    /// The OPENBLAS_CORETYPE to ask for when OpenBLAS chose `current` on a CPU with
    /// `cpuFlags` (the flags line of /proc/cpuinfo), or nil when its choice stands:
    /// "SkylakeX" with AVX-512 F/BW/DQ/VL, "Haswell" with AVX2 and FMA.
    public static func better(than current: String, cpuFlags: Set<String>) -> String? {
        guard legacyCores.contains(current.lowercased()) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags, from the first "flags" line of /proc/cpuinfo (empty
    /// where there is none).
    public static func cpuFlags(cpuinfo: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: cpuinfo, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
