import CaffeProto

/// Caffe's "Tile": repeats the bottom `tiles` times along `axis` (default 1).
///
/// bottom: outer × inner with outer = count(0, axis), inner = count(axis);
/// top: the bottom's shape with shape[axis] · tiles; each outer slice of `inner` values
/// is written `tiles` times in a row.
/// Backward: the bottom diff is the sum of the tiles' diffs.
public final class TileLayer: Layer {
    public let tiles: Int
    public private(set) var axis = 1
    public private(set) var outerCount = 0, innerCount = 0

    public required init(param: Caffe_LayerParameter) throws {
        let p = param.tileParam
        guard p.hasTiles else {
            throw SwiftCaffeError.invalid("tile_param.tiles", "the number of tiles is required",
                                          hint: "e.g. 'tile_param { tiles: 2 }'")
        }
        guard p.tiles > 0 else {
            throw SwiftCaffeError.invalid("tile_param.tiles", "tiles must be positive (got \(p.tiles))")
        }
        tiles = Int(p.tiles)
        try super.init(param: param)
    }

    public override var bottomCountRange: ClosedRange<Int> { 1...1 }
    public override var topCountRange: ClosedRange<Int> { 1...1 }

    public override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard top[0] !== input else {
            throw shapeError("Tile cannot compute in place", hint: "give its top a new name")
        }
        axis = try canonicalAxis(param.tileParam.axis, numAxes: input.numAxes, field: "tile_param.axis")
        var shape = input.shape
        shape[axis] *= tiles
        try top[0].reshape(shape)
        outerCount = input.count(from: 0, to: axis)
        innerCount = input.count(from: axis)
    }

    public override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (inner, tiles) = (innerCount, self.tiles)
        Parallel.forEach(outerCount, workPerItem: inner * tiles) { o in
            let source = x + o * inner, row = y + o * inner * tiles
            for t in 0..<tiles { (row + t * inner).update(from: source, count: inner) }
        }
    }

    public override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff, dy = top[0].diff
        let (inner, tiles) = (innerCount, self.tiles)
        Parallel.forEach(outerCount, workPerItem: inner * tiles) { o in
            let sum = dx + o * inner, row = dy + o * inner * tiles
            sum.update(from: row, count: inner)
            for t in 1..<max(1, tiles) {
                let tile = row + t * inner
                for i in 0..<inner { sum[i] += tile[i] }
            }
        }
    }
}
