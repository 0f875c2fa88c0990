import CBLAS

/// Thin, row-major wrappers over OpenBLAS's single-precision routines — the only
/// place the C interface is touched. Shapes in the names of the arguments:
/// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C.
public enum BLAS {
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            beta: Float, c: UnsafeMutablePointer<Float>) {
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(n))
    }

    /// y[m] = alpha · op(A)[m×n] · x + beta · y, with A stored row-major as m×n
    /// (when transposed, y has n entries and x has m).
    public static func gemv(transposeA: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>,
                            x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, blasint(m), blasint(n),
                    alpha, a, blasint(n), x, 1, beta, y, 1)
    }

    /// y += alpha · x
    public static func axpy(_ n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
    }

    /// x · y
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasint(n), x, 1, y, 1)
    }

    /// Σ |x|
    public static func asum(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
        cblas_sasum(blasint(n), x, 1)
    }

    /// x *= alpha
    public static func scal(_ n: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        cblas_sscal(blasint(n), alpha, x, 1)
    }

    /// Threads OpenBLAS may use (it defaults to one per core).
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// Threads OpenBLAS uses now (it caps a request at the count it was built for).
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
