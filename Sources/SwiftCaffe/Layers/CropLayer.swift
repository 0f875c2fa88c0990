import CaffeProto

/// Cuts a window out of its first bottom to the size of its second, Caffe's "Crop"
/// (FCN crops the upsampled scores back onto the image).
///
/// bottoms: the blob to crop, d0 × … × d(n−1), and the reference, whose sizes along the
/// cropped axes are taken; top: the first bottom's sizes on the axes before `axis`
/// (default 2: the spatial axes of N×C×H×W), the reference's from `axis` on.
/// `offset`: none (every crop starts at 0), one for every cropped axis, or one per
/// cropped axis; top[i…] = bottom[i… + offset…]. Backward: the top diff goes back to
/// its window of the first bottom's diff, zeros elsewhere. The reference only gives a
/// shape: its values do not reach the top, so its gradient is zero (and force_backward
/// does not ask for it).
public final class CropLayer: Layer {
    /// First cropped axis and per-axis offsets, as of the last reshape.
    public private(set) var axis = 2
    public private(set) var offsets: [Int] = []
    /// The copy as rows, the contiguous runs along the last axis: row r of the top
    /// (at r·rowLength) starts at rowStarts[r] in the bottom. Planned in reshape, so
    /// forward and backward allocate nothing.
    private var rowStarts: [Int] = []
    private var rowLength = 0

    public override var bottomCountRange: ClosedRange<Int> { 2...2 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }
    public override func allowsForceBackward(bottomIndex: Int) -> Bool { bottomIndex == 0 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0], reference = bottom[1]
        guard !bottom.contains(where: { $0 === top[0] }) else {
            throw shapeError("Crop cannot compute in place", hint: "give its top a new name")
        }
        let p = param.cropParam
        let numAxes = input.numAxes
        axis = try canonicalAxis(p.axis, numAxes: numAxes, field: "crop_param.axis")
        let cropped = numAxes - axis
        guard p.offset.count <= 1 || p.offset.count == cropped else {
            throw SwiftCaffeError.invalid("crop_param.offset",
                "\(p.offset.count) offsets for \(cropped) cropped axes (\(axis)…\(numAxes - 1) of \(input.shapeString))",
                hint: "give no offset, one for every cropped axis, or one per cropped axis")
        }
        guard reference.numAxes >= numAxes else {
            throw shapeError("the reference (bottom 1) has shape \(reference.shapeString), fewer axes than the "
                             + "cropped blob \(input.shapeString)")
        }
        var shape = input.shape
        var offsets = [Int](repeating: 0, count: numAxes)
        for i in axis..<numAxes {
            let offset = p.offset.isEmpty ? 0 : Int(p.offset.count == 1 ? p.offset[0] : p.offset[i - axis])
            guard input.dim(i) - offset >= reference.dim(i) else {
                throw SwiftCaffeError.invalid("crop_param.offset",
                    "axis \(i): a crop of \(reference.dim(i)) from offset \(offset) does not fit in \(input.dim(i))",
                    hint: "bottom 0 is \(input.shapeString), the reference \(reference.shapeString)")
            }
            shape[i] = reference.dim(i)
            offsets[i] = offset
        }
        self.offsets = offsets
        try top[0].reshape(shape)
        planRows(input: input.shape, output: shape)
    }

    /// The start of every row (run along the last axis) of the top in the bottom.
    private func planRows(input: [Int], output: [Int]) {
        guard let last = output.last else { return }  // canonicalAxis rejected a 0-axis blob
        rowLength = last
        let rows = output.dropLast().reduce(1, *)
        var starts = [Int](repeating: 0, count: rows)
        // Bottom strides per axis.
        var strides = [Int](repeating: 1, count: input.count)
        for a in stride(from: input.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * input[a + 1] }
        var index = [Int](repeating: 0, count: max(output.count - 1, 0))
        for r in 0..<rows {
            var start = offsets[output.count - 1]
            for a in 0..<index.count { start += (index[a] + offsets[a]) * strides[a] }
            starts[r] = start
            // Next row index, last axis (before the row axis) fastest.
            var a = index.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < output[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        rowStarts = starts
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = UnsafePointer(bottom[0].data), y = top[0].data
        let length = rowLength
        rowStarts.withUnsafeBufferPointer { starts in
            Parallel.forEach(starts.count, workPerItem: length) { r in
                (y + r * length).update(from: x + starts[r], count: length)
            }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown.count > 1, propagateDown[1] { bottom[1].fillDiff(0) }
        guard propagateDown[0] else { return }
        let dy = UnsafePointer(top[0].diff), dx = bottom[0].diff
        bottom[0].fillDiff(0)
        let length = rowLength
        rowStarts.withUnsafeBufferPointer { starts in
            Parallel.forEach(starts.count, workPerItem: length) { r in
                (dx + starts[r]).update(from: dy + r * length, count: length)
            }
        }
    }
}
