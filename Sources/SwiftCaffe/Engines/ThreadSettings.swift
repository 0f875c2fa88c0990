import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One thread setting for the three pools a net's layers run on, one after another:
/// oneDNN's OpenMP threads (libgomp), OpenBLAS's threads and the project's worker pool
/// (`Parallel`). None of them runs while another does, so each may use every core; what
/// must not happen is that one pool's idle threads keep a core busy while the next
/// pool works — see `startupEnvironment` for how their waiting is settled.
public enum ThreadSettings {
    /// The largest `--threads` accepted: beyond it a request is a typo, not a machine.
    public static let maximum = 1024

    /// The threads each pool uses now.
    public struct Counts: Equatable, CustomStringConvertible, Sendable {
        /// oneDNN's OpenMP threads for regions started from the calling thread (nil:
        /// libgomp is not loaded).
        public var openMP: Int?
        public var openBLAS: Int
        public var workerPool: Int

        public var description: String {
            "oneDNN (OpenMP) \(openMP.map(String.init) ?? "not loaded"), OpenBLAS \(openBLAS), worker pool \(workerPool)"
        }
    }

    /// The threads each pool uses now (OpenMP's as seen from the calling thread).
    public static var current: Counts {
        Counts(openMP: DNNLContext.threads, openBLAS: BLAS.threads, workerPool: Parallel.threads)
    }

    /// Sets every pool to `count` threads (the calling thread included). OpenMP's count
    /// belongs to the calling thread: call this on the thread that runs the nets.
    /// Throws a usage error for a count below 1 or above `maximum`.
    public static func set(_ count: Int, flag: String = "--threads") throws {
        guard (1...maximum).contains(count) else {
            throw SwiftCaffeError(.usage, "\(flag) must be between 1 and \(maximum) (got \(count))",
                                  field: flag, hint: "omit it for one thread per core (\(Parallel.usableCores()) here)")
        }
        DNNLContext.setThreads(count)
        BLAS.setThreads(count)
        Parallel.setThreads(count)
    }

    /// What the libraries read once, when they are loaded, and the values SwiftCaffe
    /// runs with unless the user set them (`environment` holds the user's):
    ///
    /// - `OMP_WAIT_POLICY=passive`: libgomp's idle threads sleep at once instead of
    ///   spinning (about 300,000 rounds) after every parallel region. On a loaded
    ///   machine a spinning thread holds a core that the thread it waits for needs;
    ///   and even idle, it competes with OpenBLAS and the worker pool, which run next.
    ///   Measured in benchmarks/BENCHMARKS.md ("Threads: waiting policies").
    ///
    /// Set either variable (OMP_WAIT_POLICY or GOMP_SPINCOUNT, even empty) and
    /// SwiftCaffe leaves libgomp's waiting to you.
    public static func startupEnvironment(_ environment: [String: String]) -> [String: String] {
        var additions: [String: String] = [:]
        if environment["OMP_WAIT_POLICY"] == nil, environment["GOMP_SPINCOUNT"] == nil {
            additions["OMP_WAIT_POLICY"] = "passive"
        }
        return additions
    }

    /// How libgomp's idle threads wait in this process, as its environment says:
    /// "OMP_WAIT_POLICY=passive", "GOMP_SPINCOUNT=…", or "OMP_WAIT_POLICY unset".
    public static var waitingDescription: String {
        let environment = ProcessInfo.processInfo.environment
        let set = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"].compactMap { name in environment[name].map { "\(name)=\($0)" } }
        return set.isEmpty ? "OMP_WAIT_POLICY unset" : set.joined(separator: ", ")
    }

    /// Restarts the running executable once with the environment the libraries should
    /// have read when they loaded: `startupEnvironment` and a better OPENBLAS_CORETYPE
    /// (`BLASCoreType`). Returns, changing nothing, when everything is already set or
    /// the restart fails. For the `swiftcaffe` executable, first thing in `main`.
    public static func restartWithStartupEnvironmentIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        var additions = startupEnvironment(environment)
        if environment["OPENBLAS_CORETYPE"] == nil,
           let better = BLASCoreType.better(than: BLASCoreType.current, cpuFlags: BLASCoreType.cpuFlags()) {
            additions["OPENBLAS_CORETYPE"] = better
        }
        guard !additions.isEmpty else { return }
        for (name, value) in additions { setenv(name, value, 1) }
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // Only reached when exec failed: carry on with the libraries' own choices.
        for pointer in argv { free(pointer) }
    }
}
