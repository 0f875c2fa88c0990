/// The per-group matrix products of a convolution over one image, shared by
/// Convolution and Deconvolution (Caffe's BaseConvolutionLayer: forward_cpu_gemm,
/// backward_cpu_gemm, weight_cpu_gemm and the two bias products).
///
/// Named in the convolution's terms. Per group g:
///   weights W_g: M × K, columns col_g (im2col of the convolution's input): K × N,
///   output out_g: M × N,
/// with M = output channels / group, K = input channels / group · kh · kw and
/// N = output positions H'·W'. The groups lie one after the other in each buffer.
/// Deconvolution runs the same products with its top in the role of the
/// convolution's input (its forward is `columns`, its backward-data `output`).
public struct ConvolutionGEMM: Equatable, Sendable {
    public var group: Int
    /// M: the convolution's output channels per group.
    public var outPerGroup: Int
    /// K: rows of one group's column matrix, input channels / group · kh · kw.
    public var kernelDim: Int
    /// N: output positions of one image.
    public var plane: Int

    public init(group: Int, outPerGroup: Int, kernelDim: Int, plane: Int) {
        self.group = group
        self.outPerGroup = outPerGroup
        self.kernelDim = kernelDim
        self.plane = plane
    }

    var weightOffset: Int { outPerGroup * kernelDim }
    var columnOffset: Int { kernelDim * plane }
    var outputOffset: Int { outPerGroup * plane }

    /// out_g[M × N] = W_g[M × K] · col_g[K × N] for every group (overwrites `output`).
    @inline(__always)
    public func output(weights: UnsafePointer<Float>, columns: UnsafePointer<Float>,
                       into output: UnsafeMutablePointer<Float>) {
        for g in 0..<group {
            BLAS.gemm(transposeA: false, transposeB: false, m: outPerGroup, n: plane, k: kernelDim,
                      alpha: 1, a: weights + g * weightOffset, b: columns + g * columnOffset,
                      beta: 0, c: output + g * outputOffset)
        }
    }

    /// col_g[K × N] = W_gᵀ[K × M] · out_g[M × N] for every group (overwrites `columns`).
    @inline(__always)
    public func columns(weights: UnsafePointer<Float>, output: UnsafePointer<Float>,
                        into columns: UnsafeMutablePointer<Float>) {
        for g in 0..<group {
            BLAS.gemm(transposeA: true, transposeB: false, m: kernelDim, n: plane, k: outPerGroup,
                      alpha: 1, a: weights + g * weightOffset, b: output + g * outputOffset,
                      beta: 0, c: columns + g * columnOffset)
        }
    }

    /// W_g diff[M × K] += out_g[M × N] · col_gᵀ[N × K] for every group.
    @inline(__always)
    public func accumulateWeightGradient(output: UnsafePointer<Float>, columns: UnsafePointer<Float>,
                                         into weightDiff: UnsafeMutablePointer<Float>) {
        for g in 0..<group {
            BLAS.gemm(transposeA: false, transposeB: true, m: outPerGroup, n: kernelDim, k: plane,
                      alpha: 1, a: output + g * outputOffset, b: columns + g * columnOffset,
                      beta: 1, c: weightDiff + g * weightOffset)
        }
    }

    /// image[channels × positions] += bias[channels] · ones[positions]ᵀ (a rank-1 GEMM, as Caffe).
    @inline(__always)
    public static func addBias(_ bias: UnsafePointer<Float>, ones: UnsafePointer<Float>, channels: Int,
                               positions: Int, to image: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transposeA: false, transposeB: false, m: channels, n: positions, k: 1,
                  alpha: 1, a: bias, b: ones, beta: 1, c: image)
    }

    /// bias diff[channels] += image diff[channels × positions] · ones[positions].
    @inline(__always)
    public static func accumulateBiasGradient(_ imageDiff: UnsafePointer<Float>, ones: UnsafePointer<Float>,
                                              channels: Int, positions: Int,
                                              into biasDiff: UnsafeMutablePointer<Float>) {
        BLAS.gemv(transposeA: false, m: channels, n: positions, alpha: 1, a: imageDiff, x: ones, beta: 1, y: biasDiff)
    }
}
