/// Which kernels compute a layer.
///
/// `openblas` is the reference: Caffe's own CPU algorithms (im2col + OpenBLAS GEMM,
/// direct loops), bit-identical to Caffe's results. `dnnl` runs convolution, pooling,
/// LRN and ReLU on oneDNN's kernels (Engines/DNNL), in the blocked layouts oneDNN
/// prefers, converting at each layer's boundary; layers oneDNN does not cover, and
/// shapes or parameters it cannot compute as Caffe does, stay on the reference.
///
/// The net-wide choice (`--engine`, `NetBuildOptions.engine`) is set on every layer
/// before its setup; a layer's own `engine: CAFFE` field keeps it on the reference.
public enum ComputeEngine: String, CaseIterable, Sendable {
    case openblas
    case dnnl

    /// Parses "openblas" / "dnnl" (any case; Intel Caffe's "MKLDNN" is dnnl, "CAFFE" openblas).
    public init?(name: String) {
        switch name.lowercased() {
        case "openblas", "caffe", "blas": self = .openblas
        case "dnnl", "onednn", "mkldnn": self = .dnnl
        default: return nil
        }
    }

    /// The engine a layer runs on: the requested one, unless its own parameters say
    /// `engine: CAFFE` (Caffe's enum value 1, "use the reference code").
    public func resolved(layerAsksForReference: Bool) -> ComputeEngine {
        layerAsksForReference ? .openblas : self
    }

    /// Sets the threads of every pool at once: oneDNN's OpenMP threads and OpenBLAS's
    /// (the project's worker pool is fixed at the cores). Call before the first net runs.
    public static func setThreads(_ count: Int) {
        DNNLContext.setThreads(count)
        BLAS.setThreads(count)
    }
}
