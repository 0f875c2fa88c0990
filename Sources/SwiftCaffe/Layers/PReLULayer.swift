import CaffeProto

/// Caffe's "PReLU", parametric ReLU: y = max(0, x) + a_c · min(0, x) with a learned
/// slope a_c per channel (axis 1), or one slope for all channels (`channel_shared`).
///
/// bottom and top: N × C × … (at least 2 axes), the same; works in place (a copy
/// of x is kept then, Caffe's bottom_memory_).
/// blobs[0], the slopes: shape [C], or [] (a scalar) when channel_shared, as Caffe;
/// filler default constant 0.25.
/// Backward: ∂a_c += Σ ∂y · x over x ≤ 0 in channel c (all channels when shared);
/// ∂x = ∂y where x > 0, ∂y · a_c elsewhere.
public final class PReLULayer: Layer {
    public let channelShared: Bool
    private let filler: Filler
    private let inPlaceInput = InPlaceInput()
    /// Per channel, this backward's slope gradient (summed into blobs[0].diff after).
    private let channelSums = Blob(1)

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.preluParam
        channelShared = p.channelShared
        if p.hasFiller {
            filler = try Filler(p.filler, field: "prelu_param.filler")
        } else {
            var constant = Caffe_FillerParameter()
            constant.type = "constant"
            constant.value = 0.25
            filler = try Filler(constant, field: "prelu_param.filler")
        }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try checkAxes(bottom[0])
        blobs = [try Blob(shape: channelShared ? [] : [bottom[0].dim(1)])]
    }

    public override func fillParameters() throws {
        try filler.fill(blobs[0], random: random)
    }

    private func checkAxes(_ input: Blob) throws {
        guard input.numAxes >= 2 else {
            throw shapeError("PReLU needs an input with at least 2 axes (N × C × …), got \(input.shapeString)")
        }
    }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        try checkAxes(input)
        if !channelShared, blobs[0].count != input.dim(1) {
            throw shapeError("input has \(input.dim(1)) channels (shape \(input.shapeString)) "
                             + "but the layer has \(blobs[0].count) slopes",
                             hint: "set 'channel_shared: true' for a single slope")
        }
        if top[0] !== input { try top[0].reshape(like: input) }
        try inPlaceInput.reshape(bottom: input, top: top[0], needed: true)
        try channelSums.reshape([input.dim(1)])
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        inPlaceInput.save(input)
        let (channels, inner) = (input.dim(1), input.count(from: 2))
        let x = UnsafePointer(input.data), y = top[0].data, slopes = UnsafePointer(blobs[0].data)
        let shared = channelShared
        ElementWise.forChannelRuns(count: input.count, channels: channels, inner: inner) { start, end, c in
            let a = slopes[shared ? 0 : c]
            for i in start..<end { y[i] = max(x[i], 0) + a * min(x[i], 0) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let input = bottom[0]
        let (samples, channels, inner) = (input.dim(0), input.dim(1), input.count(from: 2))
        let x = inPlaceInput.input(input), dy = UnsafePointer(top[0].diff)
        // The slope gradient first: in place, computing ∂x overwrites ∂y.
        if paramPropagateDown.first ?? false {
            let sums = channelSums.data
            Parallel.forEach(channels, workPerItem: samples * inner) { c in
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                for n in 0..<samples {
                    let o = (n * channels + c) * inner
                    let (dyc, xc) = (dy + o, x + o)
                    var j = 0
                    while j + 4 <= inner {
                        s0 += dyc[j] * min(xc[j], 0)
                        s1 += dyc[j + 1] * min(xc[j + 1], 0)
                        s2 += dyc[j + 2] * min(xc[j + 2], 0)
                        s3 += dyc[j + 3] * min(xc[j + 3], 0)
                        j += 4
                    }
                    while j < inner { s0 += dyc[j] * min(xc[j], 0); j += 1 }
                }
                sums[c] = (s0 + s1) + (s2 + s3)
            }
            let slopeDiff = blobs[0].diff
            if channelShared {
                var total: Float = 0
                for c in 0..<channels { total += sums[c] }
                slopeDiff[0] += total
            } else {
                for c in 0..<channels { slopeDiff[c] += sums[c] }
            }
        }
        guard propagateDown[0] else { return }
        let dx = input.diff, slopes = UnsafePointer(blobs[0].data), shared = channelShared
        ElementWise.forChannelRuns(count: input.count, channels: channels, inner: inner) { start, end, c in
            let a = slopes[shared ? 0 : c]
            for i in start..<end { dx[i] = x[i] > 0 ? dy[i] : dy[i] * a }
        }
    }
}
