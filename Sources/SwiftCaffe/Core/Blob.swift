#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An N-dimensional Float32 tensor with a gradient, Caffe's unit of data.
///
/// Storage is raw, 64-byte aligned memory (never a Swift `[Float]`: indexing an array
/// held by a class in a hot loop is ~40× slower than a pointer, see DESIGN.md).
/// Memory is allocated lazily, the first time `data`/`diff` is touched, so that
/// building a net for `swiftcaffe summary` costs no activation memory. Reshaping
/// to a smaller or equal count keeps the allocation; growing reallocates.
///
/// Layout is plain row-major NCHW for every reader of `data`/`diff`. An engine may
/// leave its result in its own (blocked) layout instead: it hands the blob an
/// `EngineCopy` (`setEngineData`/`setEngineDiff`), the plain storage is then stale,
/// and the first plain access converts the copy back once (Intel Caffe's
/// private-memory blobs). The next layer of the same engine takes the copy directly
/// (`engineData`/`engineDiff`) when its layout is the one it wants.
public final class Blob {
    /// Alignment of every allocation: one AVX-512 register / one cache line.
    public static let alignment = 64
    /// The largest element count a blob accepts (2^31 − 1, as Caffe's INT_MAX limit).
    public static let maxCount = Int(Int32.max)

    public private(set) var shape: [Int]
    /// Number of elements: the product of `shape` (1 for a scalar with shape []).
    public private(set) var count: Int
    /// Counts the reshapes that changed `shape`: `Net.forward` compares it with what
    /// each layer last saw and reshapes only the layers whose bottoms changed.
    public private(set) var shapeVersion = 0
    /// Counts the moments the values may have changed: every mutable plain access
    /// (`data`, `dataForOverwrite`, and what builds on them), an engine writing them
    /// (`setEngineData`) and a reshape. An engine that keeps a converted copy of a
    /// parameter (oneDNN's blocked weights) converts again only when it changed.
    /// Atomic: readers on several threads may touch `data` at once.
    private let valueVersion = Atomic<UInt64>(0)
    private var capacity = 0
    private var dataStorage: UnsafeMutablePointer<Float>?
    private var diffStorage: UnsafeMutablePointer<Float>?
    /// The current values / gradient when an engine holds them in its own layout
    /// (then the plain storage is stale); nil when the plain storage is current.
    private var dataCopy: (any EngineCopy)?
    private var diffCopy: (any EngineCopy)?

    public init(shape: [Int] = []) throws {
        self.shape = []
        self.count = 1
        try reshape(shape)
    }

    /// A blob with a shape known to be valid (tests, internal scratch).
    public convenience init(_ shape: Int...) {
        // Force-try is safe: small literal shapes from code, not user input.
        try! self.init(shape: shape)
    }

    deinit {
        Blob.release(dataStorage)
        Blob.release(diffStorage)
    }

    /// Changes the shape. Throws on negative dimensions or a count past `maxCount`;
    /// the message is completed with the layer name by the caller.
    public func reshape(_ newShape: [Int]) throws {
        var newCount = 1
        for dim in newShape {
            guard dim >= 0 else {
                throw SwiftCaffeError(.semantic, "negative dimension in shape \(Blob.describe(newShape))")
            }
            let (product, overflow) = newCount.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Blob.maxCount else {
                throw SwiftCaffeError(.semantic,
                    "shape \(Blob.describe(newShape)) has more than \(Blob.maxCount) elements",
                    hint: "reduce the batch size or the input size")
            }
            newCount = product
        }
        if newShape != shape {
            // The engine copies describe the old shape: keep their values as plain ones.
            materialize()
            shapeVersion &+= 1
            valuesMayChange()
        }
        shape = newShape
        count = newCount
        if newCount > capacity {
            Blob.release(dataStorage); dataStorage = nil
            Blob.release(diffStorage); diffStorage = nil
            capacity = 0
        }
    }

    public func reshape(like other: Blob) throws { try reshape(other.shape) }

    /// Number of axes.
    public var numAxes: Int { shape.count }

    /// Dimension along `axis`; negative axes count from the end, as in Caffe.
    public func dim(_ axis: Int) -> Int { shape[axis < 0 ? axis + shape.count : axis] }

    /// Product of dimensions in `[start, end)`.
    public func count(from start: Int, to end: Int? = nil) -> Int {
        let stop = end ?? shape.count
        var product = 1
        var axis = start
        while axis < stop { product *= shape[axis]; axis += 1 }
        return product
    }

    /// Bytes one copy (data or diff) takes.
    public var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// Allocates data and diff now, so that out-of-memory is an error, not a crash.
    public func allocate() throws {
        _ = try storage(&dataStorage)
        _ = try storage(&diffStorage)
    }

    /// The values, `count` Floats, plain NCHW. Allocated (zero-filled) on first access;
    /// an engine's copy, if current, is converted into it first (and dropped: the caller
    /// may write).
    public var data: UnsafeMutablePointer<Float> {
        valuesMayChange()
        return UnsafeMutablePointer(mutating: readOnlyData)
    }

    /// The gradient of the loss w.r.t. the values, `count` Floats, plain NCHW.
    /// Allocated on first access; converted from an engine's copy as `data` is.
    public var diff: UnsafeMutablePointer<Float> {
        let pointer = plainPointer(&diffStorage)
        if let copy = diffCopy {
            diffCopy = nil
            copy.convert(into: pointer)
        }
        return pointer
    }

    /// The values for a reader that promises not to write them: as `data`, but the
    /// `dataVersion` stays, so copies engines made of them stay valid.
    public var readOnlyData: UnsafePointer<Float> {
        let pointer = plainPointer(&dataStorage)
        if let copy = dataCopy {
            dataCopy = nil
            copy.convert(into: pointer)
        }
        return UnsafePointer(pointer)
    }

    /// Changes whenever the values may have changed (see `valueVersion`); equal
    /// versions of one blob mean equal values.
    public var dataVersion: UInt64 { valueVersion.load(ordering: .relaxed) }

    @inline(__always)
    private func valuesMayChange() { valueVersion.wrappingAdd(1, ordering: .relaxed) }

    // MARK: Engine copies

    /// The engine copy holding the current values (plain storage stale), if any.
    public var engineData: (any EngineCopy)? { dataCopy }
    /// The engine copy holding the current gradient (plain storage stale), if any.
    public var engineDiff: (any EngineCopy)? { diffCopy }

    /// An engine has just written the values into `copy`: the plain storage is stale.
    public func setEngineData(_ copy: any EngineCopy) {
        valuesMayChange()
        dataCopy = copy
    }
    /// An engine has just written the gradient into `copy`: the plain storage is stale.
    public func setEngineDiff(_ copy: any EngineCopy) { diffCopy = copy }

    /// The plain storage for a writer that overwrites every value: an engine copy is
    /// dropped without being converted.
    public var dataForOverwrite: UnsafeMutablePointer<Float> {
        valuesMayChange()
        dataCopy = nil
        return plainPointer(&dataStorage)
    }

    /// The plain gradient storage for a writer that overwrites every value.
    public var diffForOverwrite: UnsafeMutablePointer<Float> {
        diffCopy = nil
        return plainPointer(&diffStorage)
    }

    /// Converts any engine copy into the plain storage now (both stay current until
    /// the next plain access).
    public func materialize() {
        if dataCopy != nil { _ = data }
        if diffCopy != nil { _ = diff }
    }

    public var dataBuffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }
    public var diffBuffer: UnsafeMutableBufferPointer<Float> { .init(start: diff, count: count) }

    /// Copies of the values, for tests and serialization (not for hot paths).
    public var dataArray: [Float] { Array(dataBuffer) }
    public var diffArray: [Float] { Array(diffBuffer) }

    public func setData(_ values: [Float]) {
        precondition(values.count == count, "setData: \(values.count) values for \(count) elements")
        values.withUnsafeBufferPointer { dataForOverwrite.update(from: $0.baseAddress!, count: count) }
    }

    public func setDiff(_ values: [Float]) {
        precondition(values.count == count, "setDiff: \(values.count) values for \(count) elements")
        values.withUnsafeBufferPointer { diffForOverwrite.update(from: $0.baseAddress!, count: count) }
    }

    public func fillData(_ value: Float) { dataForOverwrite.update(repeating: value, count: count) }
    public func fillDiff(_ value: Float) { diffForOverwrite.update(repeating: value, count: count) }

    /// "2x3x227x227"; "scalar" for shape [].
    public var shapeString: String { Blob.describe(shape) }

    public static func describe(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
    }

    /// Zero-filled, `alignment`-aligned memory from `calloc`, which takes large blocks
    /// fresh from the kernel without writing them: pages nobody touches never become
    /// resident. That matters on the dnnl engine, where a blob passed between oneDNN
    /// layers lives in the engine's blocked copy and its plain storage may never be
    /// read. `calloc` aligns to 16 only: the block is over-allocated by `alignment`
    /// and its start stored in the 8 bytes before the aligned pointer (`release`).
    private func storage(_ slot: inout UnsafeMutablePointer<Float>?) throws -> UnsafeMutablePointer<Float> {
        if let pointer = slot { return pointer }
        let elements = max(count, 1)
        let bytes = elements * MemoryLayout<Float>.stride
        guard let base = calloc(bytes + Blob.alignment, 1) else {
            throw SwiftCaffeError(.io, "out of memory: cannot allocate \(bytes) bytes for a \(shapeString) blob",
                                  hint: "reduce the batch size")
        }
        // base is 16-aligned, so the aligned start is 16…64 bytes past it.
        let address = (Int(bitPattern: base) + Blob.alignment) & ~(Blob.alignment - 1)
        let aligned = UnsafeMutableRawPointer(bitPattern: address)!
        aligned.storeBytes(of: base, toByteOffset: -MemoryLayout<UnsafeMutableRawPointer>.stride,
                           as: UnsafeMutableRawPointer.self)
        let pointer = aligned.bindMemory(to: Float.self, capacity: elements)
        slot = pointer
        capacity = elements
        return pointer
    }

    /// Frees what `storage` allocated.
    private static func release(_ pointer: UnsafeMutablePointer<Float>?) {
        guard let pointer else { return }
        let aligned = UnsafeMutableRawPointer(pointer)
        free(aligned.load(fromByteOffset: -MemoryLayout<UnsafeMutableRawPointer>.stride, as: UnsafeMutableRawPointer.self))
    }

    @inline(__always)
    private func plainPointer(_ slot: inout UnsafeMutablePointer<Float>?) -> UnsafeMutablePointer<Float> {
        if let pointer = slot { return pointer }
        return mustAllocate(&slot)
    }

    private func mustAllocate(_ slot: inout UnsafeMutablePointer<Float>?) -> UnsafeMutablePointer<Float> {
        do { return try storage(&slot) } catch {
            // Nets call allocate() (which throws) before computing; reaching this means a
            // blob was touched outside a prepared net and memory ran out.
            fatalError("\(error)")
        }
    }
}

/// A blob's values or gradient held by an engine in its own layout (oneDNN's blocked
/// nChw8c/nChw16c memory), current while the blob's plain storage is stale.
/// Engines/DNNL implements it; Core only asks for the conversion.
public protocol EngineCopy: AnyObject {
    /// Writes the values into `plain` (the blob's `count` Floats, plain NCHW).
    func convert(into plain: UnsafeMutablePointer<Float>)
}
