import ArgumentParser
import SwiftCaffe

/// --engine and --threads, for train, test and time.
struct EngineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The compute engine: openblas (the reference: Caffe's algorithms and results) or "
                               + "dnnl (oneDNN's kernels for Convolution, Pooling and LRN).", valueName: "engine"))
    var engine = "openblas"

    @Option(help: "Threads for oneDNN and OpenBLAS (default: one per core).")
    var threads: Int?

    func validate() throws {
        try reportingErrors {
            guard ComputeEngine(name: engine) != nil else {
                throw SwiftCaffeError(.usage, "unknown engine '\(engine)'", hint: "use --engine openblas or --engine dnnl")
            }
            if let threads, threads <= 0 { throw SwiftCaffeError(.usage, "--threads must be positive (got \(threads))") }
        }
    }

    /// The engine, after `validate()`; sets the threads.
    func selected() -> ComputeEngine {
        if let threads { ComputeEngine.setThreads(threads) }
        return ComputeEngine(name: engine) ?? .openblas
    }
}
