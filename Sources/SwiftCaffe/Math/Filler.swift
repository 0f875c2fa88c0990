import CaffeProto

/// Initial values of learnable blobs, Caffe's fillers (`weight_filler { type: … }`).
///
/// - constant: `value`
/// - uniform: U(`min`, `max`)
/// - gaussian: N(`mean`, `std`²); with `sparse` ≥ 0 each value is kept with
///   probability sparse / shape[0] and zeroed otherwise
/// - positive_unitball: U(0, 1), each row (all but the first axis) rescaled to sum to 1
/// - xavier: U(−√(3/n), √(3/n)), msra: N(0, 2/n), with n = fan_in (count / shape[0]),
///   fan_out (count / shape[1]) or their average, per `variance_norm`
/// - bilinear: the weights of bilinear upsampling (4-D, square kernels)
public struct Filler {
    public static let types = ["constant", "uniform", "gaussian", "positive_unitball", "xavier", "msra", "bilinear"]
    public let param: Caffe_FillerParameter
    /// Where the filler was given ("convolution_param.weight_filler"), for errors.
    public let field: String

    /// Checks the type; `field` names the filler in errors ("convolution_param.weight_filler").
    public init(_ param: Caffe_FillerParameter, field: String) throws {
        guard Self.types.contains(param.type) else {
            var hint = "known fillers: " + Self.types.joined(separator: ", ")
            if let guess = Suggest.didYouMean(param.type, among: Self.types) { hint = guess + " " + hint }
            throw SwiftCaffeError.invalid(field + ".type", "unknown filler type '\(param.type)'", hint: hint)
        }
        if param.type == "uniform", param.min > param.max {
            throw SwiftCaffeError.invalid(field + ".min", "uniform filler has min \(param.min) > max \(param.max)")
        }
        if param.type == "gaussian", param.std < 0 {
            throw SwiftCaffeError.invalid(field + ".std", "gaussian filler has a negative std \(param.std)")
        }
        self.param = param
        self.field = field
    }

    public func fill(_ blob: Blob, random: RandomSource) throws {
        let n = blob.count
        let data = blob.data
        switch param.type {
        case "constant":
            blob.fillData(param.value)
        case "uniform":
            for i in 0..<n { data[i] = random.uniform(param.min, param.max) }
        case "gaussian":
            for i in 0..<n { data[i] = random.normal(mean: param.mean, std: param.std) }
            if param.sparse >= 0 {
                guard blob.numAxes >= 1, blob.dim(0) > 0 else { return }
                let keep = Float(param.sparse) / Float(blob.dim(0))
                for i in 0..<n where !random.bernoulli(keep) { data[i] = 0 }
            }
        case "positive_unitball":
            for i in 0..<n { data[i] = random.nextUnitFloat() }
            guard blob.numAxes >= 1, blob.dim(0) > 0 else { return }
            let rows = blob.dim(0), width = n / rows
            for r in 0..<rows {
                var sum: Float = 0
                for j in 0..<width { sum += data[r * width + j] }
                if sum > 0 { for j in 0..<width { data[r * width + j] /= sum } }
            }
        case "xavier":
            let scale = (3 / fan(blob)).squareRoot()
            for i in 0..<n { data[i] = random.uniform(-scale, scale) }
        case "msra":
            let std = (2 / fan(blob)).squareRoot()
            for i in 0..<n { data[i] = random.normal(mean: 0, std: std) }
        case "bilinear":
            guard blob.numAxes == 4, blob.dim(2) == blob.dim(3) else {
                throw SwiftCaffeError.invalid(field + ".type",
                    "the bilinear filler needs a 4-D blob with square kernels, got \(blob.shapeString)")
            }
            let width = blob.dim(3), height = blob.dim(2)
            let f = Float((width + 1) / 2)
            let c = (2 * f - 1 - Float(Int(f) % 2)) / (2 * f)
            for i in 0..<n {
                let x = Float(i % width), y = Float((i / width) % height)
                data[i] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
            }
        default:
            break  // rejected in init
        }
    }

    /// The n of xavier/msra for this blob.
    private func fan(_ blob: Blob) -> Float {
        guard blob.numAxes >= 1, blob.dim(0) > 0, blob.count > 0 else { return 1 }
        let fanIn = Float(blob.count / blob.dim(0))
        let fanOut = blob.numAxes > 1 && blob.dim(1) > 0 ? Float(blob.count / blob.dim(1)) : Float(blob.count)
        switch param.varianceNorm {
        case .fanIn: return fanIn
        case .fanOut: return fanOut
        case .average: return (fanIn + fanOut) / 2
        }
    }
}
