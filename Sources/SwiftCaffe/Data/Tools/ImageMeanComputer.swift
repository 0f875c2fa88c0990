import CaffeProto
import Foundation

/// Caffe's compute_image_mean: the per-pixel mean of every Datum in an LMDB, saved as
/// a BlobProto of shape 1×C×H×W (Caffe's `mean_file`), plus the per-channel means
/// Caffe logs (the numbers people paste into `mean_value`).
///
/// With `pca`, also the eigen-decomposition of the 3×3 covariance of the pixels'
/// channel values (every pixel of every image one sample), for AlexNet's "PCA
/// lighting"; it goes into the BlobProto's pca_eigenvalue / pca_eigenvector fields.
/// Sums are kept in Double (Caffe sums in float, which loses digits on big sets).
public enum ImageMeanComputer {
    public struct Result {
        /// The mean image, as written to the .binaryproto.
        public var mean: Caffe_BlobProto
        /// Records averaged.
        public var count: Int
        /// Mean of each channel over all pixels (in the data's order: B, G, R).
        public var channelMeans: [Double]
        /// With `pca`: eigenvalues, largest first, of the covariance of the pixel values
        /// divided by 255 (the [0, 1] scale, on which ImageNet's are about 0.22, 0.019,
        /// 0.0045), so `pca_lighting_std: 0.1` means what it means in the paper.
        public var eigenvalues: [Double]?
        /// With `pca`: unit eigenvectors matching `eigenvalues`, in channel order.
        public var eigenvectors: [[Double]]?

        /// The lines Caffe logs after computing a mean.
        public var summaryLines: [String] {
            var lines = ["Number of channels: \(channelMeans.count)"]
            for (c, m) in channelMeans.enumerated() {
                lines.append("mean_value channel [\(c)]: \(String(format: "%g", m))")
            }
            if let eigenvalues, let eigenvectors {
                for k in eigenvalues.indices {
                    let v = eigenvectors[k].map { String(format: "%.6f", $0) }.joined(separator: ", ")
                    lines.append("pca eigenvalue [\(k)]: \(String(format: "%g", eigenvalues[k])), eigenvector [\(v)]")
                }
            }
            return lines
        }
    }

    /// Reads every Datum of the LMDB at `databasePath` (raw, float or encoded; encoded
    /// images are decoded with their own channel count). `progress(done, total)` is
    /// called every 10,000 records and at the end.
    public static func compute(databasePath: String, pca: Bool = false,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        let db = try LMDBDatabase(path: databasePath, mode: .read)
        defer { try? db.close() }
        let total = try db.count
        let cursor = try db.makeCursor()
        defer { cursor.close() }

        var sum: [Double] = []
        var first: (key: String, shape: ExampleShape)?
        var count = 0
        var moments = ColorMoments()
        while let (key, datum) = try cursor.nextDatum() {
            let pixels = try ExamplePixels(datum, source: "record '\(key)' in '\(databasePath)'", mode: .native)
            let shape = pixels.shape
            if let first {
                guard first.shape == shape else {
                    throw SwiftCaffeError(
                        .io, "record '\(key)' in '\(databasePath)' is \(shape) (channels x height x width) "
                            + "but the first record '\(first.key)' is \(first.shape)",
                        hint: "a mean image needs images of one size: convert with --resize_height/--resize_width "
                            + "or --shorter_side (and --check_size)")
                }
            } else {
                if pca && shape.channels != 3 {
                    throw SwiftCaffeError(
                        .io, "--pca needs 3-channel (colour) images, but record '\(key)' in '\(databasePath)' has "
                            + "\(shape.channels) channel\(shape.channels == 1 ? "" : "s")",
                        hint: "PCA lighting works on colour images; drop --pca for this database")
                }
                first = (key, shape)
                sum = [Double](repeating: 0, count: shape.count)
            }
            let plane = shape.height * shape.width
            try pixels.withValues { bytes, floats in
                if let bytes {
                    add(bytes, to: &sum) { Double($0) }
                    if pca { accumulate(bytes, plane: plane, into: &moments) { Double($0) } }
                } else if let floats {
                    add(floats, to: &sum) { Double($0) }
                    if pca { accumulate(floats, plane: plane, into: &moments) { Double($0) } }
                }
            }
            count += 1
            if count % 10_000 == 0 { progress?(count, total) }
        }
        guard let first, count > 0 else {
            throw SwiftCaffeError(.io, "the database '\(databasePath)' holds no records: there is nothing to average")
        }
        if count % 10_000 != 0 { progress?(count, total) }

        var blob = Caffe_BlobProto()
        let shape = first.shape
        // Caffe writes the legacy 4-D fields; `shape` is set too for modern readers.
        blob.num = 1
        blob.channels = Int32(shape.channels)
        blob.height = Int32(shape.height)
        blob.width = Int32(shape.width)
        blob.shape.dim = shape.batch(1).map { Int64($0) }
        blob.data = sum.map { Float($0 / Double(count)) }
        let plane = shape.height * shape.width
        let channelMeans = (0..<shape.channels).map { ch in sum[(ch * plane)..<((ch + 1) * plane)].reduce(0, +) / Double(count * plane) }

        var result = Result(mean: blob, count: count, channelMeans: channelMeans)
        if pca {
            // On the [0, 1] scale: covariance of (pixel / 255) = covariance / 255².
            let unitScale = moments.covariance().map { row in row.map { $0 / (255 * 255) } }
            let (values, vectors) = symmetricEigen3(unitScale)
            result.eigenvalues = values
            result.eigenvectors = vectors
            result.mean.pcaEigenvalue = values.map { Float($0) }
            result.mean.pcaEigenvector = vectors.flatMap { $0.map { Float($0) } }
        }
        return result
    }

    /// Computes the mean and writes it (atomically) to `meanPath`.
    @discardableResult
    public static func computeAndWrite(databasePath: String, meanPath: String, pca: Bool = false,
                                       progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        let result = try compute(databasePath: databasePath, pca: pca, progress: progress)
        let bytes: [UInt8] = try result.mean.serializedBytes()
        try AtomicFile.write(Data(bytes), to: meanPath)
        return result
    }

    // MARK: - Pixels of a record

    /// Adds a record's values (bytes or Caffe's float_data) to the running per-pixel sums.
    private static func add<Element>(_ values: UnsafeBufferPointer<Element>, to sum: inout [Double],
                                     _ toDouble: (Element) -> Double) {
        sum.withUnsafeMutableBufferPointer { total in
            for i in 0..<min(values.count, total.count) { total[i] += toDouble(values[i]) }
        }
    }

    /// Adds each pixel's 3 channel values (planar C×H×W, C = 3) as one sample.
    private static func accumulate<Element>(_ values: UnsafeBufferPointer<Element>, plane: Int,
                                            into moments: inout ColorMoments, _ toDouble: (Element) -> Double) {
        var image = ColorMoments()
        for i in 0..<plane {
            image.add(toDouble(values[i]), toDouble(values[plane + i]), toDouble(values[2 * plane + i]))
        }
        // Summing per image first keeps the big totals' rounding error small.
        moments.merge(image)
    }

    // MARK: - Covariance and its eigenvectors

    /// Running sums for the covariance of 3-vectors (scalars, not arrays: `add` runs
    /// once per pixel).
    struct ColorMoments {
        var n = 0.0
        var s0 = 0.0, s1 = 0.0, s2 = 0.0
        var s00 = 0.0, s01 = 0.0, s02 = 0.0, s11 = 0.0, s12 = 0.0, s22 = 0.0

        @inline(__always)
        mutating func add(_ a: Double, _ b: Double, _ c: Double) {
            n += 1
            s0 += a; s1 += b; s2 += c
            s00 += a * a; s01 += a * b; s02 += a * c
            s11 += b * b; s12 += b * c; s22 += c * c
        }

        mutating func merge(_ o: ColorMoments) {
            n += o.n
            s0 += o.s0; s1 += o.s1; s2 += o.s2
            s00 += o.s00; s01 += o.s01; s02 += o.s02
            s11 += o.s11; s12 += o.s12; s22 += o.s22
        }

        /// The population covariance (divided by the number of samples).
        func covariance() -> [[Double]] {
            guard n > 0 else { return [[0, 0, 0], [0, 0, 0], [0, 0, 0]] }
            let m = [s0 / n, s1 / n, s2 / n]
            let ss = [[s00, s01, s02], [s01, s11, s12], [s02, s12, s22]]
            return (0..<3).map { i in (0..<3).map { j in ss[i][j] / n - m[i] * m[j] } }
        }
    }

    /// Eigenvalues (largest first) and unit eigenvectors of a symmetric 3×3 matrix, by
    /// cyclic Jacobi rotations (exact to rounding for symmetric input, no special
    /// cases). Each eigenvector's largest component is made positive so the signs are
    /// reproducible. Only the upper triangle of `m` is read.
    public static func symmetricEigen3(_ m: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        var a = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 {
            for j in i..<3 {
                let value = (m.count > i && m[i].count > j) ? m[i][j] : 0
                a[i][j] = value
                a[j][i] = value
            }
        }
        var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]  // columns are the eigenvectors
        for _ in 0..<64 {
            let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
            let diagonal = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]
            if off <= 1e-30 * max(diagonal, Double.leastNormalMagnitude) { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
                // The rotation that zeroes a[p][q] (Numerical Recipes' stable form).
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<3 {  // a ← a·J
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<3 {  // a ← Jᵀ·a
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
                for k in 0..<3 {
                    let vkp = v[k][p], vkq = v[k][q]
                    v[k][p] = c * vkp - s * vkq
                    v[k][q] = s * vkp + c * vkq
                }
            }
        }
        let order = [0, 1, 2].sorted { a[$0][$0] > a[$1][$1] }
        let values = order.map { a[$0][$0] }
        let vectors: [[Double]] = order.map { column in
            var vector = [v[0][column], v[1][column], v[2][column]]
            let norm = (vector[0] * vector[0] + vector[1] * vector[1] + vector[2] * vector[2]).squareRoot()
            if norm > 0 { vector = vector.map { $0 / norm } }
            let largest = vector.indices.max { abs(vector[$0]) < abs(vector[$1]) }!
            if vector[largest] < 0 { vector = vector.map { -$0 } }
            return vector
        }
        return (values, vectors)
    }
}
