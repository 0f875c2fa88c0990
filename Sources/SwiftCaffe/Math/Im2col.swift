/// im2col / col2im for one image, in Caffe's exact column layout.
///
/// image: C × H × W  ↔  columns: (C·kh·kw) × (H'·W'), where row (c·kh + i)·kw + j of
/// the columns holds, for every output position (y, x) in row-major order, the input
/// value at (c, y·stride_h − pad_h + i·dilation_h, x·stride_w − pad_w + j·dilation_w),
/// or 0 where that position lies in the padding. This is the layout Caffe's
/// convolution multiplies its num_output × (C·kh·kw) weights with, so weights from a
/// .caffemodel line up unchanged.
///
/// Padding is handled by computing, once per kernel row and column, the range of
/// output rows and columns that read inside the image: the loops over that range have
/// no bounds tests, and the padded stretches are filled (or skipped) in bulk.
public enum Im2col {
    /// The output positions `r` in `0..<count` with `0 ≤ offset + r·stride < limit`,
    /// as a half-open range (empty when none).
    @inline(__always)
    static func validRange(offset: Int, stride: Int, limit: Int, count: Int) -> (Int, Int) {
        // first r with offset + r·stride ≥ 0
        let first = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        // first r with offset + r·stride ≥ limit
        let end = limit - offset <= 0 ? 0 : (limit - offset + stride - 1) / stride
        let lo = min(first, count)
        return (lo, max(lo, min(end, count)))
    }

    /// Unfolds `image` (channels × height × width) into `columns`
    /// ((channels·kh·kw) × (H'·W')), overwriting every element of `columns`.
    public static func im2col(_ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                              geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>) {
        let (outH, outW) = g.outputSize(height: height, width: width)
        guard outH > 0, outW > 0, channels > 0 else { return }
        let plane = outH * outW
        // One work item per (channel, kernel row): kw column rows each, disjoint outputs.
        Parallel.forEach(channels * g.kernelH, workPerItem: g.kernelW * plane) { item in
            let (c, ki) = item.quotientAndRemainder(dividingBy: g.kernelH)
            let source = image + c * height * width
            var row = columns + item * g.kernelW * plane  // one column row: H' × W'
            let rowOffset = ki * g.dilationH - g.padH
            let (r0, r1) = validRange(offset: rowOffset, stride: g.strideH, limit: height, count: outH)
            for kj in 0..<g.kernelW {
                let colOffset = kj * g.dilationW - g.padW
                let (c0, c1) = validRange(offset: colOffset, stride: g.strideW, limit: width, count: outW)
                // Output rows that read the top or bottom padding: all zeros.
                row.update(repeating: 0, count: r0 * outW)
                (row + r1 * outW).update(repeating: 0, count: (outH - r1) * outW)
                let inside = c1 - c0
                for r in r0..<r1 {
                    let out = row + r * outW
                    out.update(repeating: 0, count: c0)
                    (out + c1).update(repeating: 0, count: outW - c1)
                    guard inside > 0 else { continue }
                    let input = source + (rowOffset + r * g.strideH) * width + colOffset + c0 * g.strideW
                    let dst = out + c0
                    if g.strideW == 1 {
                        dst.update(from: input, count: inside)
                    } else {
                        let s = g.strideW
                        for x in 0..<inside { dst[x] = input[x * s] }
                    }
                }
                row += plane
            }
        }
    }

    /// Folds `columns` ((channels·kh·kw) × (H'·W')) back onto `image`
    /// (channels × height × width), ADDING each column value to the input position it
    /// was read from (values that came from padding are dropped). The caller zeroes
    /// `image` first when it wants the plain col2im of Caffe (which zeroes, then adds).
    public static func col2im(_ columns: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                              geometry g: ConvolutionGeometry, image: UnsafeMutablePointer<Float>) {
        let (outH, outW) = g.outputSize(height: height, width: width)
        guard outH > 0, outW > 0, channels > 0 else { return }
        let plane = outH * outW
        let kernelArea = g.kernelH * g.kernelW
        // Channels write disjoint image planes, so they can run in parallel.
        Parallel.forEach(channels, workPerItem: kernelArea * plane) { c in
            let target = image + c * height * width
            var row = columns + c * kernelArea * plane
            for ki in 0..<g.kernelH {
                let rowOffset = ki * g.dilationH - g.padH
                let (r0, r1) = validRange(offset: rowOffset, stride: g.strideH, limit: height, count: outH)
                for kj in 0..<g.kernelW {
                    let colOffset = kj * g.dilationW - g.padW
                    let (c0, c1) = validRange(offset: colOffset, stride: g.strideW, limit: width, count: outW)
                    let inside = c1 - c0
                    if inside > 0 {
                        for r in r0..<r1 {
                            let src = row + r * outW + c0
                            let output = target + (rowOffset + r * g.strideH) * width + colOffset + c0 * g.strideW
                            if g.strideW == 1 {
                                for x in 0..<inside { output[x] += src[x] }
                            } else {
                                let s = g.strideW
                                for x in 0..<inside { output[x * s] += src[x] }
                            }
                        }
                    }
                    row += plane
                }
            }
        }
    }
}
