import ArgumentParser
import SwiftCaffe

/// --engine and --threads, for train, test and time.
struct EngineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The compute engine: openblas (the reference: Caffe's algorithms and results) or "
                               + "dnnl (oneDNN's kernels for Convolution, Pooling and LRN). Replaces the files' "
                               + "net-wide engine (Intel Caffe's engine: \"MKLDNN\"); a layer's own engine field "
                               + "still wins. Default: the files' choice, else openblas.", valueName: "engine"))
    var engine: String?

    @Option(help: "Threads for oneDNN (OpenMP), OpenBLAS and SwiftCaffe's own parallel loops (default: one per core).")
    var threads: Int?

    func validate() throws {
        try reportingErrors {
            if let engine, ComputeEngine(name: engine) == nil {
                throw SwiftCaffeError(.usage, "unknown engine '\(engine)'", field: "--engine",
                                      hint: "use --engine openblas or --engine dnnl")
            }
            if let threads, !(1...ThreadSettings.maximum).contains(threads) {
                throw SwiftCaffeError(.usage, "--threads must be between 1 and \(ThreadSettings.maximum) (got \(threads))",
                                      field: "--threads", hint: "omit it for one thread per core")
            }
        }
    }

    /// The engine asked for on the command line (nil: the files decide), after
    /// `validate()`; sets the threads of every pool, on the calling thread (the one that
    /// runs the nets: OpenMP's thread count is per thread).
    func selected() throws -> ComputeEngine? {
        if let threads { try ThreadSettings.set(threads) }
        return engine.flatMap { ComputeEngine(name: $0) }
    }
}
