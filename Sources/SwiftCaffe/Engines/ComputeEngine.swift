/// Which kernels compute a layer.
///
/// `openblas` is the reference: Caffe's own CPU algorithms (im2col + OpenBLAS GEMM,
/// direct loops), bit-identical to Caffe's results. `dnnl` runs convolution, pooling,
/// LRN and ReLU on oneDNN's kernels (Engines/DNNL), in the blocked layouts oneDNN
/// prefers, converting at each layer's boundary; layers oneDNN does not cover, and
/// shapes or parameters it cannot compute as Caffe does, stay on the reference.
///
/// Which engine a layer is asked for, strongest first (Intel Caffe's rules):
/// 1. the typed field of the layer's own parameters, `convolution_param { engine: CAFFE }`
///    (Caffe's enum; CAFFE keeps the layer on the reference);
/// 2. the layer's string `engine: "MKLDNN"` (LayerParameter field 149);
/// 3. the net-wide choice: `--engine` (`NetBuildOptions.engine`), else the solver's
///    string `engine` (SolverParameter 47), else the net's (NetParameter 9);
/// 4. openblas.
public enum ComputeEngine: String, CaseIterable, Sendable {
    case openblas
    case dnnl

    /// Parses "openblas" / "dnnl" (any case; Intel Caffe's "MKLDNN" and "MKL2017" are
    /// dnnl, "CAFFE" openblas).
    public init?(name: String) {
        switch name.lowercased() {
        case "openblas", "caffe", "blas": self = .openblas
        case "dnnl", "onednn", "mkldnn", "mkl2017": self = .dnnl
        default: return nil
        }
    }

    /// The values an `engine` string field accepts, for error messages.
    public static let acceptedFieldValues = #""CAFFE" or "openblas" (the reference), "MKLDNN", "MKL2017" or "dnnl" (oneDNN), optionally with ":CPU""#

    /// Reads Intel Caffe's string `engine` field `field` (of a layer, net or solver):
    /// nil when empty (unset). Intel Caffe writes an engine name, optionally followed by
    /// its subengines, "MKLDNN:CPU" or "MKLDNN:CPU,FPGA"; oneDNN runs on the CPU here, so
    /// a subengine list must name CPU. MKL2017 (Intel's older MKL kernels) runs on dnnl.
    public init?(engineField value: String, field: String) throws {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
        if name.uppercased() == "CUDNN" {
            throw SwiftCaffeError.invalid(field, "the CUDNN engine is not available on the CPU",
                                          hint: "use \(Self.acceptedFieldValues), or remove the field")
        }
        guard let engine = ComputeEngine(name: name) else {
            throw SwiftCaffeError.invalid(field, "unknown engine \"\(value)\"",
                                          hint: "use \(Self.acceptedFieldValues), or remove the field")
        }
        if parts.count == 2 {
            let subengines = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            guard subengines.contains("CPU") else {
                throw SwiftCaffeError.invalid(field, "engine \"\(value)\" names no CPU subengine; SwiftCaffe runs on the CPU only",
                                              hint: "write \"\(name):CPU\" or \"\(name)\"")
            }
        }
        self = engine
    }

    /// The engine a layer runs on: the requested one, unless its own parameters say
    /// `engine: CAFFE` (Caffe's enum value 1, "use the reference code").
    public func resolved(layerAsksForReference: Bool) -> ComputeEngine {
        layerAsksForReference ? .openblas : self
    }
}
