#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CDNNL

/// A oneDNN memory object: a descriptor and a buffer, either the library's own
/// (engine-private layouts) or a caller's (a Blob's plain NCHW data), rebound per call.
final class DNNLMemory {
    var descriptor: dnnl_memory_desc_t
    let memory: dnnl_memory_t
    private var bound: UnsafeMutableRawPointer?

    /// `handle` nil: oneDNN allocates (and frees) the buffer.
    init(_ descriptor: dnnl_memory_desc_t, context: DNNLContext, handle: UnsafeMutableRawPointer? = nil) throws {
        self.descriptor = descriptor
        var memory: dnnl_memory_t?
        let buffer = handle ?? swiftcaffe_dnnl_memory_allocate()
        try DNNLContext.check(dnnl_memory_create(&memory, &self.descriptor, context.engine, buffer), "allocating memory")
        guard let memory else { throw SwiftCaffeError(.semantic, "oneDNN returned no memory") }
        self.memory = memory
        bound = handle
    }

    deinit { dnnl_memory_destroy(memory) }

    /// Points a caller-owned memory at `pointer` (Blob storage may move on reshape).
    @inline(__always)
    func bind(_ pointer: UnsafeMutablePointer<Float>) throws {
        let raw = UnsafeMutableRawPointer(pointer)
        guard raw != bound else { return }
        try DNNLContext.check(dnnl_memory_set_data_handle(memory, raw), "binding memory")
        bound = raw
    }

    func sameLayout(as other: dnnl_memory_desc_t) -> Bool {
        var other = other
        return dnnl_memory_desc_equal(&descriptor, &other) != 0
    }
}

/// A primitive with its descriptor and a fixed argument list, so that executing it
/// allocates nothing: the memories are bound once, only their buffers change.
final class DNNLPrimitive {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// oneDNN's implementation name, e.g. "jit:avx512_core" or "ref:any".
    let implementation: String
    private let context: DNNLContext
    private var arguments: UnsafeMutablePointer<dnnl_exec_arg_t>
    private var argumentCount = 0
    private static let maxArguments = 8

    /// Creates the primitive of an operation descriptor (`dnnl_convolution_desc_t` & co).
    /// `acceptReference`: false throws when oneDNN could only offer a reference kernel.
    convenience init<Desc>(_ operation: inout Desc, context: DNNLContext, attributes: dnnl_primitive_attr_t? = nil,
               hint: DNNLPrimitive? = nil, what: String, acceptReference: Bool = false) throws {
        var pd: dnnl_primitive_desc_t?
        try withUnsafePointer(to: &operation) { op in
            try DNNLContext.check(dnnl_primitive_desc_create(&pd, op, attributes, context.engine, hint?.descriptor),
                                  "creating the \(what) primitive")
        }
        guard let pd else { throw SwiftCaffeError(.semantic, "oneDNN returned no \(what) descriptor") }
        try self.init(descriptor: pd, context: context, what: what, acceptReference: acceptReference)
    }

    /// Takes ownership of `descriptor` (also on failure).
    init(descriptor: dnnl_primitive_desc_t, context: DNNLContext, what: String, acceptReference: Bool) throws {
        self.descriptor = descriptor
        self.context = context
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &info)
        implementation = info.map { String(cString: $0) } ?? "unknown"
        arguments = .allocate(capacity: Self.maxArguments)
        guard acceptReference || !DNNLPrimitive.isReference(implementation) else {
            dnnl_primitive_desc_destroy(descriptor)
            arguments.deallocate()
            throw SwiftCaffeError(.semantic, "oneDNN has only its reference kernel '\(implementation)' for \(what)",
                                  hint: "the reference engine is faster for this layer")
        }
        var primitive: dnnl_primitive_t?
        let status = dnnl_primitive_create(&primitive, descriptor)
        guard status == dnnl_success, let primitive else {
            dnnl_primitive_desc_destroy(descriptor)
            arguments.deallocate()
            try DNNLContext.check(status, "creating the \(what) primitive")
            throw SwiftCaffeError(.semantic, "oneDNN returned no \(what) primitive")
        }
        self.primitive = primitive
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
        arguments.deallocate()
    }

    /// "ref:any", "lrn_ref:any", "simple:any" and the like: correct but up to orders of
    /// magnitude slower than the reference engine's own loops.
    static func isReference(_ implementation: String) -> Bool {
        implementation.contains("ref") || implementation.hasPrefix("simple")
    }

    /// The layout the primitive chose for an argument (`dnnl_query_src_md` & co).
    func layout(_ query: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t? {
        dnnl_primitive_desc_query_md(descriptor, query, index)?.pointee
    }

    /// Adds an argument, once, at set-up.
    func bind(_ argument: Int32, _ memory: DNNLMemory) {
        precondition(argumentCount < Self.maxArguments, "too many oneDNN arguments")  // programming error
        arguments[argumentCount] = dnnl_exec_arg_t(arg: argument, memory: memory.memory)
        argumentCount += 1
    }

    /// Points a bound argument at another memory of the same layout (an input read
    /// straight from the memory another layer wrote). Allocates nothing.
    @inline(__always)
    func rebind(_ argument: Int32, _ memory: DNNLMemory) {
        for k in 0..<argumentCount where arguments[k].arg == argument { arguments[k].memory = memory.memory }
    }

    func execute() throws {
        try DNNLContext.check(dnnl_primitive_execute(primitive, context.stream, Int32(argumentCount), arguments),
                              "executing")
        try DNNLContext.check(dnnl_stream_wait(context.stream), "waiting for the stream")
    }

    /// One pass of a one-input, one-output primitive (pooling, LRN, ReLU; forward or
    /// backward): `source` read from `from` (its data, or its diff when `diff`), the pass
    /// run, `destination` left as `to`'s engine copy.
    func run(reading source: DNNLOperand, from: Blob, writing destination: DNNLOperand, to: Blob,
             diff: Bool) throws {
        try source.load(from, diff: diff)
        try destination.prepare(to, diff: diff)
        try execute()
        try destination.publish(to, diff: diff)
    }
}

/// An argument as a primitive wants it, fed from or written to a Blob.
///
/// Inputs: when the blob's current values are another layer's engine copy in exactly
/// the layout this argument wants (`dnnl_memory_desc_equal`), the primitive reads that
/// memory directly; otherwise the blob's plain NCHW storage is read (converted from any
/// other copy by the blob) and reordered into `inner` if the layouts differ.
/// Outputs: the primitive writes `inner`; when that is not plain NCHW, the operand
/// becomes the blob's engine copy (`Blob.setEngineData`) and converts to plain only
/// when a plain reader asks (`convert(into:)`). Conversion time is counted on `clock`.
final class DNNLOperand: EngineCopy {
    /// The caller's plain buffer, bound per call.
    let plain: DNNLMemory
    /// What the primitive reads or writes (== `plain` when the layouts agree).
    let inner: DNNLMemory
    private let toInner: DNNLPrimitive?
    private let toPlain: DNNLPrimitive?
    private let clock: DNNLClock
    /// The primitives (and argument ids) that read this input, to point them at a
    /// matching engine copy; at most a few, fixed at set-up.
    private var uses: [(primitive: DNNLPrimitive, argument: Int32)] = []
    /// The memory the uses read now: `inner`, or another operand's.
    private var current: DNNLMemory
    /// The parameter whose values `inner` holds, at `cachedVersion` (`load(parameter:)`).
    private var cachedParameter: Blob?
    private var cachedVersion: UInt64 = 0

    enum Direction { case input, output, accumulatingOutput }

    /// `accumulatingOutput`: the plain buffer receives += (Caffe's parameter gradients),
    /// through a reorder with a sum post-op even when the layouts agree.
    init(plain plainLayout: dnnl_memory_desc_t, inner innerLayout: dnnl_memory_desc_t, direction: Direction,
         context: DNNLContext, clock: DNNLClock) throws {
        self.clock = clock
        // A dummy non-nil handle: every call binds the real buffer first.
        plain = try DNNLMemory(plainLayout, context: context, handle: UnsafeMutableRawPointer(bitPattern: Blob.alignment))
        let same = plain.sameLayout(as: innerLayout)
        inner = same && direction != .accumulatingOutput ? plain : try DNNLMemory(innerLayout, context: context)
        current = inner
        func reorder(_ from: DNNLMemory, _ to: DNNLMemory, accumulate: Bool) throws -> DNNLPrimitive {
            var attributes: dnnl_primitive_attr_t?
            if accumulate {
                try DNNLContext.check(dnnl_primitive_attr_create(&attributes), "creating attributes")
                var postOps: dnnl_post_ops_t?
                try DNNLContext.check(dnnl_post_ops_create(&postOps), "creating post-ops")
                try DNNLContext.check(dnnl_post_ops_append_sum(postOps, 1), "adding a sum post-op")
                try DNNLContext.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "setting post-ops")
                dnnl_post_ops_destroy(postOps)
            }
            defer { if let attributes { dnnl_primitive_attr_destroy(attributes) } }
            var pd: dnnl_primitive_desc_t?
            try DNNLContext.check(dnnl_reorder_primitive_desc_create(&pd, &from.descriptor, context.engine,
                                                                     &to.descriptor, context.engine, attributes),
                                  "creating a layout conversion")
            guard let pd else { throw SwiftCaffeError(.semantic, "oneDNN returned no reorder") }
            // Reorders are named "simple:any" or "jit:uni": both are fine for a copy.
            let primitive = try DNNLPrimitive(descriptor: pd, context: context, what: "layout conversion",
                                              acceptReference: true)
            primitive.bind(DNNL_ARG_FROM, from)
            primitive.bind(DNNL_ARG_TO, to)
            return primitive
        }
        switch direction {
        case .input:
            toInner = inner === plain ? nil : try reorder(plain, inner, accumulate: false)
            toPlain = nil
        case .output, .accumulatingOutput:
            toInner = nil
            toPlain = inner === plain ? nil : try reorder(inner, plain, accumulate: direction == .accumulatingOutput)
        }
    }

    /// Set-up: `primitive` reads (or writes) this operand as `argument`.
    func use(in primitive: DNNLPrimitive, as argument: Int32) {
        primitive.bind(argument, inner)
        uses.append((primitive, argument))
    }

    /// Before the primitives, for an input: the blob's values (`diff`: its gradient),
    /// from a matching engine copy without conversion, else from its plain storage.
    @inline(__always)
    func load(_ blob: Blob, diff: Bool) throws {
        let copy = diff ? blob.engineDiff : blob.engineData
        if let other = copy as? DNNLOperand, other.inner !== other.plain, inner.sameLayout(as: other.inner.descriptor) {
            point(at: other.inner)
            return
        }
        point(at: inner)
        try plain.bind(diff ? blob.diff : blob.data)
        if let toInner { try clock.measure { try toInner.execute() } }
    }

    /// Before the primitive, for a parameter (weights, bias) in Caffe's plain layout:
    /// converted into `inner` only when its values changed since the last conversion
    /// (`Blob.dataVersion`): once per solver update in training, once in all for
    /// inference. Read through `readOnlyData`, so loading does not itself count as a change.
    @inline(__always)
    func load(parameter blob: Blob) throws {
        point(at: inner)
        let pointer = UnsafeMutablePointer(mutating: blob.readOnlyData)
        guard let toInner else { return try plain.bind(pointer) }
        let version = blob.dataVersion
        guard cachedParameter !== blob || cachedVersion != version else { return }
        try plain.bind(pointer)
        try clock.measure { try toInner.execute() }
        cachedParameter = blob
        cachedVersion = version
    }

    @inline(__always)
    private func point(at memory: DNNLMemory) {
        guard memory !== current else { return }
        for k in 0..<uses.count { uses[k].primitive.rebind(uses[k].argument, memory) }
        current = memory
    }

    /// Before the primitive, for an output into `blob` (`diff`: its gradient): binds
    /// the plain storage when the primitive writes it directly.
    @inline(__always)
    func prepare(_ blob: Blob, diff: Bool) throws {
        guard inner === plain else { return }
        try plain.bind(diff ? blob.diffForOverwrite : blob.dataForOverwrite)
    }

    /// After the primitive, for an output: the blob's values (gradient) are now this
    /// operand's memory, converted only when a plain reader asks. `exclusive` false
    /// (the next call overwrites this memory: a layer with several bottom/top pairs)
    /// converts now.
    @inline(__always)
    func publish(_ blob: Blob, diff: Bool, exclusive: Bool = true) throws {
        guard inner !== plain else { return }
        if exclusive {
            if diff { blob.setEngineDiff(self) } else { blob.setEngineData(self) }
        } else {
            try convertNow(into: diff ? blob.diffForOverwrite : blob.dataForOverwrite)
        }
    }

    /// Before the primitive, for a plain output buffer (parameter gradients).
    @inline(__always)
    func prepare(_ pointer: UnsafeMutablePointer<Float>) throws { try plain.bind(pointer) }

    /// After the primitive: converts (or adds) the inner result into the plain buffer.
    @inline(__always)
    func store() throws {
        if let toPlain { try clock.measure { try toPlain.execute() } }
    }

    private func convertNow(into pointer: UnsafeMutablePointer<Float>) throws {
        try plain.bind(pointer)
        try store()
    }

    /// EngineCopy: a plain reader asks for the values.
    func convert(into pointer: UnsafeMutablePointer<Float>) {
        do { try convertNow(into: pointer) } catch {
            // The same reorder ran when the layer was shaped; failing now is oneDNN running
            // out of memory or a programming error, and `Blob.data` cannot throw.
            fatalError("oneDNN: converting a blob to plain NCHW failed: \(error)")
        }
    }

    var converts: Bool { toInner != nil || toPlain != nil }
}

/// Time spent converting layouts in one layer, for `swiftcaffe time`.
final class DNNLClock {
    private(set) var nanoseconds: UInt64 = 0

    @inline(__always)
    func measure(_ body: () throws -> Void) throws {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        try body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        nanoseconds &+= UInt64(end.tv_sec - start.tv_sec) &* 1_000_000_000 &+ UInt64(end.tv_nsec) &- UInt64(start.tv_nsec)
    }

    func reset() { nanoseconds = 0 }
}
