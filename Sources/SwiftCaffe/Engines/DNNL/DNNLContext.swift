#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CDNNL

/// The one oneDNN CPU engine and stream of the process, created on first use.
///
/// oneDNN (Debian's build) runs its kernels on OpenMP threads, executes synchronously
/// on a CPU stream, and picks its kernels for the CPU it finds (AVX-512: nChw16c
/// blocks, AVX2: nChw8c). `activationTag` is the block layout its convolutions choose
/// here, asked once from a sample convolution (never hard-coded), so that pooling and
/// LRN — whose inputs must have a concrete layout — run on the same blocks.
// @unchecked Sendable: the handles are created once in `init` and never change; oneDNN
// primitives may be executed from any thread on one stream, one at a time (the net
// runs its layers one after another).
final class DNNLContext: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    /// The blocked layout of 4-D activations (nChw16c on AVX-512, nChw8c on AVX2).
    let activationTag: dnnl_format_tag_t

    /// The process's context; throws (each time) when oneDNN cannot create a CPU engine.
    static func shared() throws -> DNNLContext {
        switch instance {
        case .success(let context): return context
        case .failure(let error): throw error
        }
    }

    private static let instance: Result<DNNLContext, SwiftCaffeError> = {
        do { return .success(try DNNLContext()) } catch let error as SwiftCaffeError {
            return .failure(error)
        } catch {
            return .failure(SwiftCaffeError(.semantic, "oneDNN: \(error)"))
        }
    }()

    private init() throws {
        var engine: dnnl_engine_t?
        try DNNLContext.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        var stream: dnnl_stream_t?
        try DNNLContext.check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)),
                              "creating a stream")
        guard let engine, let stream else { throw SwiftCaffeError(.semantic, "oneDNN returned no engine") }
        self.engine = engine
        self.stream = stream
        activationTag = try DNNLContext.preferredActivationTag(engine)
    }

    /// Throws a SwiftCaffeError naming the step when oneDNN reports a failure.
    static func check(_ status: dnnl_status_t, _ what: String) throws {
        guard status != dnnl_success else { return }
        let reason: String
        switch status {
        case dnnl_out_of_memory: reason = "out of memory"
        case dnnl_invalid_arguments: reason = "invalid arguments"
        case dnnl_unimplemented: reason = "no implementation for these shapes on this CPU"
        default: reason = "status \(status.rawValue)"
        }
        throw SwiftCaffeError(.semantic, "oneDNN: \(what) failed: \(reason)",
                              hint: "run this layer on the reference engine ('--engine openblas', or 'engine: CAFFE' in its parameters)")
    }

    /// A plain memory descriptor: `dims` in the order of `tag`'s letters.
    static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims64 = dims.map { Int64($0) }
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims64, dnnl_f32, tag), "describing \(dims)")
        return md
    }

    /// The tag that a plain NCHW buffer of `channels` channels would have in the
    /// convolution's choice of layout, found by comparing descriptors.
    private static func preferredActivationTag(_ engine: dnnl_engine_t) throws -> dnnl_format_tag_t {
        // A typical 3×3 convolution, 64 → 64 channels: oneDNN's `any` choice for its output.
        var src = try descriptor([8, 64, 14, 14], dnnl_format_tag_any)
        var weights = try descriptor([64, 64, 3, 3], dnnl_format_tag_any)
        var dst = try descriptor([8, 64, 14, 14], dnnl_format_tag_any)
        var desc = dnnl_convolution_desc_t()
        let one: [Int64] = [1, 1], zero: [Int64] = [0, 0]
        try check(dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                                             &src, &weights, nil, &dst, one, zero, one, one),
                  "describing a sample convolution")
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil), "creating a sample convolution")
        defer { dnnl_primitive_desc_destroy(pd) }
        guard let chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0) else { return dnnl_nchw }
        for tag in [dnnl_nChw16c, dnnl_nChw8c, dnnl_nhwc] {
            var candidate = try descriptor([8, 64, 14, 14], tag)
            if dnnl_memory_desc_equal(chosen, &candidate) != 0 { return tag }
        }
        return dnnl_nchw
    }

    /// "nChw16c" for the tags this engine uses.
    static func name(of tag: dnnl_format_tag_t) -> String {
        switch tag {
        case dnnl_nChw16c: return "nChw16c"
        case dnnl_nChw8c: return "nChw8c"
        case dnnl_nhwc: return "nhwc"
        case dnnl_nchw: return "nchw"
        default: return "tag \(tag.rawValue)"
        }
    }

    /// Sets the OpenMP threads oneDNN runs on. libgomp is loaded with libdnnl; its
    /// entry points are looked up at run time so that nothing else links against it.
    /// `omp_set_num_threads` sets the calling thread's value (OpenMP's nthreads-var is
    /// per thread): call it on the thread that runs the net.
    static func setThreads(_ count: Int) {
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return }
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(max(1, count)))
    }

    /// The threads of the next OpenMP parallel region started from this thread
    /// (`omp_get_max_threads`), nil when libgomp is not loaded.
    static var threads: Int? {
        typealias GetThreads = @convention(c) () -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_get_max_threads") else { return nil }
        return Int(unsafeBitCast(symbol, to: GetThreads.self)())
    }
}
