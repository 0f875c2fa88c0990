import CaffeProto

/// Produces blobs of given shapes filled by fillers, Caffe's "DummyData" — handy for
/// timing nets and testing without a dataset.
///
/// no bottoms; tops: `shape` (one for all tops or one per top) or the legacy
/// num × channels × height × width. `data_filler`: none (constant 0), one for every top,
/// or one per top. As in Caffe, tops with a constant filler are filled once and never
/// again (here on the first forward); the others are refilled on every forward.
public final class DummyDataLayer: Layer {
    public let shapes: [[Int]]
    /// One filler for all tops, or one per top.
    public let fillers: [Filler]
    /// Per filler: whether every forward refills (false for constant fillers).
    public let refills: [Bool]
    private var constantsFilled = false

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.dummyDataParam
        let tops = param.top.count
        let legacy = !p.num.isEmpty || !p.channels.isEmpty || !p.height.isEmpty || !p.width.isEmpty
        var shapes: [[Int]] = []
        if legacy {
            guard p.shape.isEmpty else {
                throw SwiftCaffeError.invalid("dummy_data_param.shape",
                    "give either shape or the legacy num/channels/height/width, not both")
            }
            let lists = [p.num, p.channels, p.height, p.width]
            for list in lists where !(list.count == 1 || list.count == tops) {
                throw SwiftCaffeError.invalid("dummy_data_param.num",
                    "num, channels, height and width need 1 value or one per top (\(tops))")
            }
            for i in 0..<tops {
                shapes.append(lists.map { Int($0.count == 1 ? $0[0] : $0[i]) })
            }
        } else {
            guard p.shape.count == 1 || p.shape.count == tops else {
                throw SwiftCaffeError.invalid("dummy_data_param.shape",
                    "\(p.shape.count) shapes for \(tops) tops; give one shape for all tops or one per top")
            }
            for i in 0..<tops {
                shapes.append((p.shape.count == 1 ? p.shape[0] : p.shape[i]).dim.map { Int($0) })
            }
        }
        for shape in shapes where shape.contains(where: { $0 < 0 }) {
            throw SwiftCaffeError.invalid("dummy_data_param.shape", "shape \(shape) has a negative dimension")
        }
        guard p.dataFiller.count <= 1 || p.dataFiller.count == tops else {
            throw SwiftCaffeError.invalid("dummy_data_param.data_filler",
                "\(p.dataFiller.count) fillers for \(tops) tops; give 0, 1, or one per top")
        }
        self.shapes = shapes
        if p.dataFiller.isEmpty {
            var zero = Caffe_FillerParameter()
            zero.type = "constant"
            zero.value = 0
            fillers = [try Filler(zero, field: "dummy_data_param.data_filler")]
        } else {
            fillers = try p.dataFiller.map { try Filler($0, field: "dummy_data_param.data_filler") }
        }
        refills = fillers.map { $0.param.type != "constant" }
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 0...0 }
    public override var topCountRange: ClosedRange<Int> { 1...Int.max }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        for (t, shape) in zip(top, shapes) { try t.reshape(shape) }
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        for i in 0..<top.count {   // index loops: array iterators allocate in debug builds
            let k = fillers.count > 1 ? i : 0
            if refills[k] || !constantsFilled { try fillers[k].fill(top[i], random: random) }
        }
        constantsFilled = true
    }

    /// A data source: nothing to propagate.
    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
