import CaffeProto

/// MAX / AVE pooling over NCHW blobs, Caffe's "Pooling".
///
/// bottom: N × C × H × W  →  top: N × C × H' × W' with Caffe's rounding:
/// H' = ⌈(H + 2·pad − kernel) / stride⌉ + 1 (CEIL, the default) or ⌊…⌋ + 1 (FLOOR);
/// with padding, a last window starting at or past H + pad is dropped.
/// An optional second top (MAX only) receives the argmax mask.
///
/// MAX: y = the largest value of the window (clipped to the image, padding never
/// wins); the index h·W + w of the winner within its plane is kept for backward,
/// which routes each top diff to that one bottom element.
/// AVE: y = Σ window / divisor, where the divisor is the window clipped to
/// H + pad × W + pad only, so padded cells count (Caffe's CPU code); backward
/// spreads each top diff / divisor over the window.
/// STOCHASTIC pooling has no CPU implementation in Caffe and is rejected.
public final class PoolingLayer: Layer {
    public let method: Caffe_PoolingParameter.PoolMethod
    public let globalPooling: Bool
    public let roundMode: Caffe_PoolingParameter.RoundMode
    public private(set) var kernelH = 0, kernelW = 0
    public let strideH: Int, strideW: Int
    public let padH: Int, padW: Int
    public private(set) var outputHeight = 0, outputWidth = 0
    /// MAX: per top element, the argmax index within its bottom plane (−1: empty window).
    private let argmax = ScratchBuffer<Int32>(fill: -1)
    /// MAX: per worker, one output row's column maxima and their indices, in column
    /// order and regrouped by stride phase (see `maxPlane`).
    private let columnMax = ScratchBuffer<Float>(fill: 0), columnIndex = ScratchBuffer<Int32>(fill: 0)
    private var workers = 1, scratchPerWorker = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.poolingParam
        let field = "pooling_param."
        method = p.pool
        globalPooling = p.globalPooling
        roundMode = p.roundMode
        if globalPooling {
            guard !p.hasKernelSize, !p.hasKernelH, !p.hasKernelW else {
                throw SwiftCaffeError.invalid(field + "kernel_size",
                    "global_pooling takes the whole input as its window; remove kernel_size")
            }
        } else if p.hasKernelH || p.hasKernelW {
            guard p.hasKernelH, p.hasKernelW, !p.hasKernelSize else {
                throw SwiftCaffeError.invalid(field + "kernel_h",
                    "give either kernel_size or both kernel_h and kernel_w")
            }
            kernelH = Int(p.kernelH); kernelW = Int(p.kernelW)
        } else {
            guard p.hasKernelSize else {
                throw SwiftCaffeError.invalid(field + "kernel_size", "kernel_size is required",
                    hint: "add 'kernel_size: 3' to pooling_param, or 'global_pooling: true'")
            }
            kernelH = Int(p.kernelSize); kernelW = kernelH
        }
        if p.hasPadH || p.hasPadW {
            guard p.hasPadH, p.hasPadW, !p.hasPad else {
                throw SwiftCaffeError.invalid(field + "pad_h", "give either pad or both pad_h and pad_w")
            }
            padH = Int(p.padH); padW = Int(p.padW)
        } else {
            padH = Int(p.pad); padW = padH
        }
        if p.hasStrideH || p.hasStrideW {
            guard p.hasStrideH, p.hasStrideW, !p.hasStride else {
                throw SwiftCaffeError.invalid(field + "stride_h", "give either stride or both stride_h and stride_w")
            }
            strideH = Int(p.strideH); strideW = Int(p.strideW)
        } else {
            strideH = Int(p.stride); strideW = strideH
        }
        guard strideH > 0, strideW > 0 else {
            throw SwiftCaffeError.invalid(field + "stride", "stride must be positive (got \(strideH)x\(strideW))")
        }
        if !globalPooling {
            guard kernelH > 0, kernelW > 0 else {
                throw SwiftCaffeError.invalid(field + "kernel_size", "kernel size must be positive")
            }
            guard padH < kernelH, padW < kernelW else {
                throw SwiftCaffeError.invalid(field + "pad",
                    "pad \(padH)x\(padW) must be smaller than the kernel \(kernelH)x\(kernelW)")
            }
        } else {
            guard padH == 0, padW == 0, strideH == 1, strideW == 1 else {
                throw SwiftCaffeError.invalid(field + "global_pooling",
                                              "global pooling takes no pad and stride 1")
            }
        }
        if method == .stochastic {
            throw SwiftCaffeError.invalid(field + "pool",
                "STOCHASTIC pooling is not implemented on the CPU (Caffe's CPU code has none either)",
                hint: "use 'pool: MAX' or 'pool: AVE'")
        }
        try SwiftCaffeError.rejectCUDNN(p.hasEngine && p.engine == .cudnn, field: field + "engine")
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { method == .max ? 1...2 : 1...1 }

    /// Output extent along one axis, Caffe's rule.
    static func outputSize(input: Int, kernel: Int, pad: Int, stride: Int,
                           roundMode: Caffe_PoolingParameter.RoundMode) -> Int {
        let span = input + 2 * pad - kernel
        var size: Int
        switch roundMode {
        case .ceil: size = (span + stride - 1) / stride + 1
        case .floor: size = span / stride + 1
        }
        // The last window must start inside the image (or its left/top padding).
        if pad > 0, (size - 1) * stride >= input + pad { size -= 1 }
        return size
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard !top.contains(where: { $0 === input }) else {
            throw shapeError("Pooling cannot run in place", hint: "give the top a name different from the bottom")
        }
        guard input.numAxes == 4 else {
            throw shapeError("Pooling needs a 4-D N×C×H×W input, got \(input.shapeString)")
        }
        let (h, w) = (input.dim(2), input.dim(3))
        if globalPooling { (kernelH, kernelW) = (h, w) }
        guard h + 2 * padH >= kernelH, w + 2 * padW >= kernelW else {
            throw SwiftCaffeError.invalid("pooling_param.kernel_size",
                "kernel \(kernelH)x\(kernelW) is larger than the padded input \(h + 2 * padH)x\(w + 2 * padW)",
                hint: "the input has shape \(input.shapeString)")
        }
        outputHeight = Self.outputSize(input: h, kernel: kernelH, pad: padH, stride: strideH, roundMode: roundMode)
        outputWidth = Self.outputSize(input: w, kernel: kernelW, pad: padW, stride: strideW, roundMode: roundMode)
        for t in top {
            try t.reshape([input.dim(0), input.dim(1), outputHeight, outputWidth])
        }
        if method == .max {
            argmax.reserve(top[0].count, fill: -1)
            workers = max(1, Parallel.threads)
            let g = geometry(input)
            scratchPerWorker = g.paddedWidth + g.phaseLength * strideW
            columnMax.reserve(workers * scratchPerWorker, fill: 0)
            columnIndex.reserve(workers * scratchPerWorker, fill: 0)
        }
        let shape = PoolingShape(batch: input.dim(0), channels: input.dim(1), height: h, width: w,
                                 outputHeight: outputHeight, outputWidth: outputWidth, kernelH: kernelH,
                                 kernelW: kernelW, strideH: strideH, strideW: strideW, padH: padH, padW: padW,
                                 isMax: method == .max)
        // The argmax top is Caffe's own index layout: computed by the reference code.
        dnnl = engineKernels(asksForReference: param.poolingParam.engine == .caffe || top.count > 1, current: dnnl,
                             fits: { $0.shape == shape }) { shape.batch > 0 ? try DNNLPooling(shape) : nil }
    }

    /// oneDNN's kernels for the current shape, when the layer runs on the dnnl engine.
    private var dnnl: DNNLPooling?

    public override var engineDescription: String {
        dnnl.map { "dnnl \($0.implementations) \($0.layoutName)" } ?? "openblas"
    }
    public override var conversionNanoseconds: UInt64 { dnnl?.clock.nanoseconds ?? 0 }
    public override func resetConversionTime() { dnnl?.clock.reset() }

    /// The geometry of one forward/backward call, read once outside the loops.
    private struct Geometry {
        var planes = 0, height = 0, width = 0, outHeight = 0, outWidth = 0
        var kernelH = 0, kernelW = 0, strideH = 0, strideW = 0, padH = 0, padW = 0
        var inPlane: Int { height * width }
        var outPlane: Int { outHeight * outWidth }
        var workPerPlane: Int { outPlane * kernelH * kernelW }
        /// Columns of the padded row that windows reach (MAX scratch).
        var paddedWidth: Int { max((outWidth - 1) * strideW + kernelW, padW + width) }
        /// Columns per stride phase of the padded row.
        var phaseLength: Int { (paddedWidth + strideW - 1) / strideW }
    }

    private func geometry(_ input: Blob) -> Geometry {
        Geometry(planes: input.dim(0) * input.dim(1), height: input.dim(2), width: input.dim(3),
                 outHeight: outputHeight, outWidth: outputWidth, kernelH: kernelH, kernelW: kernelW,
                 strideH: strideH, strideW: strideW, padH: padH, padW: padW)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        if let dnnl { return try dnnl.forward(input: bottom[0], output: top[0]) }
        let g = geometry(bottom[0])
        // bottom: N × C × H × W, top: N × C × H' × W'; one plane = one (n, c).
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        switch method {
        case .max:
            let mask = argmax.pointer
            let maskTop: UnsafeMutablePointer<Float>? = top.count > 1 ? top[1].data : nil
            // Planes in one chunk per worker; each worker has its own column scratch.
            let chunks = max(1, min(workers, Parallel.threads, g.planes))
            let perChunk = (g.planes + chunks - 1) / chunks
            let columnMax = self.columnMax.pointer, columnIndex = self.columnIndex.pointer
            let size = scratchPerWorker
            Parallel.forEach(chunks, workPerItem: perChunk * g.workPerPlane) { chunk in
                let scratch = (columnMax + chunk * size, columnIndex + chunk * size)
                for plane in chunk * perChunk..<min(g.planes, (chunk + 1) * perChunk) {
                    Self.maxPlane(g, x + plane * g.inPlane, y + plane * g.outPlane, mask + plane * g.outPlane,
                                  scratch)
                    if let maskTop {
                        let m = mask + plane * g.outPlane, out = maskTop + plane * g.outPlane
                        for i in 0..<g.outPlane { out[i] = Float(m[i]) }
                    }
                }
            }
        case .ave:
            Parallel.forEach(g.planes, workPerItem: g.workPerPlane) { plane in
                Self.averagePlane(g, x + plane * g.inPlane, y + plane * g.outPlane)
            }
        case .stochastic:
            break  // rejected in init
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        if let dnnl { return try dnnl.backward(output: top[0], input: bottom[0]) }
        let g = geometry(bottom[0])
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        switch method {
        case .max:
            let mask = UnsafePointer(argmax.pointer)
            Parallel.forEach(g.planes, workPerItem: g.inPlane + g.outPlane) { plane in
                let dyp = dy + plane * g.outPlane, mp = mask + plane * g.outPlane
                let dxp = dx + plane * g.inPlane
                dxp.update(repeating: 0, count: g.inPlane)
                for i in 0..<g.outPlane where mp[i] >= 0 { dxp[Int(mp[i])] += dyp[i] }
            }
        case .ave:
            Parallel.forEach(g.planes, workPerItem: g.workPerPlane) { plane in
                Self.averageBackwardPlane(g, dy + plane * g.outPlane, dx + plane * g.inPlane)
            }
        case .stochastic:
            break
        }
    }

    /// One plane of MAX pooling: x H × W → y H' × W', argmax indices h·W + w into `mask`.
    ///
    /// Caffe scans each window in row order and keeps a value only if strictly greater,
    /// so the winner is the largest value and, among equal ones, the smallest index;
    /// values ≤ −FLT_MAX and NaN never win (output −FLT_MAX, index −1). The same
    /// result, branch-free and 4 lanes wide (a compare-and-branch per cell mispredicts
    /// on real data), per output row:
    /// 1. column maxima over the window's rows, with their indices, into a row padded
    ///    by pad_w on the left and sentinels (−FLT_MAX, −1) elsewhere;
    /// 2. that row regrouped by stride phase, so that for each kernel column kw the
    ///    cells of all outputs (columns ow·stride + kw) are contiguous;
    /// 3. for each kw, every output takes the cell if larger, or equal with a smaller index.
    @inline(__always)
    private static func maxPlane(_ g: Geometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                 _ mask: UnsafeMutablePointer<Int32>,
                                 _ scratch: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>)) {
        let (width, padded, stride, length, outWidth) = (g.width, g.paddedWidth, g.strideW, g.phaseLength, g.outWidth)
        let colMax = scratch.0, colIndex = scratch.1
        let phaseMax = colMax + padded, phaseIndex = colIndex + padded
        let lowest = -Float.greatestFiniteMagnitude, lanes = SIMD4<Int32>(0, 1, 2, 3)
        for oh in 0..<g.outHeight {
            let h0 = oh * g.strideH - g.padH
            let hEnd = min(h0 + g.kernelH, g.height), hStart = max(h0, 0)
            // 1. Column maxima (rows in order: the first row wins ties).
            colMax.update(repeating: lowest, count: padded)
            colIndex.update(repeating: -1, count: padded)
            let cm = colMax + g.padW, ci = colIndex + g.padW
            for h in hStart..<hEnd {
                let row = x + h * width, base = Int32(truncatingIfNeeded: h * width)
                SIMD4Loop.run(width) { w in
                    let v = SIMD4Loop.load(row + w), m = SIMD4Loop.load(cm + w)
                    let take = v .> m
                    SIMD4Loop.store(m.replacing(with: v, where: take), cm + w)
                    let index = lanes &+ (base &+ Int32(truncatingIfNeeded: w))
                    SIMD4Loop.store(SIMD4Loop.load(ci + w).replacing(with: index, where: take), ci + w)
                } scalar: { w in
                    if row[w] > cm[w] { cm[w] = row[w]; ci[w] = base &+ Int32(truncatingIfNeeded: w) }
                }
            }
            // 2. Regroup by phase: column c to phase c % stride, position c / stride.
            for phase in 0..<stride {
                let pm = phaseMax + phase * length, pi = phaseIndex + phase * length
                var c = phase, at = 0
                while c < padded { pm[at] = colMax[c]; pi[at] = colIndex[c]; c += stride; at += 1 }
            }
            // 3. Window maxima, the smaller index winning ties.
            let yr = y + oh * outWidth, mr = mask + oh * outWidth
            yr.update(repeating: lowest, count: outWidth)
            mr.update(repeating: -1, count: outWidth)
            for kw in 0..<g.kernelW {
                let offset = (kw % stride) * length + kw / stride
                let pm = phaseMax + offset, pi = phaseIndex + offset
                SIMD4Loop.run(outWidth) { o in
                    let v = SIMD4Loop.load(pm + o), i = SIMD4Loop.load(pi + o)
                    let best = SIMD4Loop.load(yr + o), bestIndex = SIMD4Loop.load(mr + o)
                    let take = (v .> best) .| ((v .== best) .& (i .< bestIndex))
                    SIMD4Loop.store(best.replacing(with: v, where: take), yr + o)
                    SIMD4Loop.store(bestIndex.replacing(with: i, where: take), mr + o)
                } scalar: { o in
                    if pm[o] > yr[o] || (pm[o] == yr[o] && pi[o] < mr[o]) { yr[o] = pm[o]; mr[o] = pi[o] }
                }
            }
        }
    }

    /// The clipped window of output (oh, ow) and Caffe's AVE divisor (cells inside
    /// H + pad × W + pad, padding included).
    @inline(__always)
    private static func averageWindow(_ g: Geometry, _ oh: Int, _ ow: Int)
        -> (hStart: Int, hEnd: Int, wStart: Int, wEnd: Int, divisor: Float) {
        let h0 = oh * g.strideH - g.padH, w0 = ow * g.strideW - g.padW
        let h1 = min(h0 + g.kernelH, g.height + g.padH), w1 = min(w0 + g.kernelW, g.width + g.padW)
        let size = (h1 - h0) * (w1 - w0)
        return (max(h0, 0), min(h1, g.height), max(w0, 0), min(w1, g.width), Float(size))
    }

    /// One plane of AVE pooling: the sum in row order, then divided, as Caffe.
    @inline(__always)
    private static func averagePlane(_ g: Geometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        for oh in 0..<g.outHeight {
            for ow in 0..<g.outWidth {
                let win = averageWindow(g, oh, ow)
                var sum: Float = 0
                for h in win.hStart..<win.hEnd {
                    let row = x + h * g.width
                    for w in win.wStart..<win.wEnd { sum += row[w] }
                }
                y[oh * g.outWidth + ow] = sum / win.divisor
            }
        }
    }

    /// One plane of AVE backward: every top diff / divisor added over its window.
    @inline(__always)
    private static func averageBackwardPlane(_ g: Geometry, _ dy: UnsafePointer<Float>,
                                             _ dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: g.inPlane)
        for oh in 0..<g.outHeight {
            for ow in 0..<g.outWidth {
                let win = averageWindow(g, oh, ow)
                let share = dy[oh * g.outWidth + ow] / win.divisor
                for h in win.hStart..<win.hEnd {
                    let row = dx + h * g.width
                    for w in win.wStart..<win.wEnd { row[w] += share }
                }
            }
        }
    }
}

