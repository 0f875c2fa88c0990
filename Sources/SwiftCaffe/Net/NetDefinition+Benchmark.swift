import CaffeProto

extension NetDefinition {
    /// The same net with batch size `batch`: the first dimension of every Input and
    /// DummyData shape, and `batch_size` of every data layer.
    public func withBatchSize(_ batch: Int) throws -> NetDefinition {
        guard batch > 0 else { throw SwiftCaffeError(.usage, "the batch size must be positive (got \(batch))") }
        var copy = self
        for i in copy.param.layer.indices {
            var layer = copy.param.layer[i]
            switch layer.type {
            case "Input":
                for s in layer.inputParam.shape.indices where !layer.inputParam.shape[s].dim.isEmpty {
                    layer.inputParam.shape[s].dim[0] = Int64(batch)
                }
            case "DummyData":
                for s in layer.dummyDataParam.shape.indices where !layer.dummyDataParam.shape[s].dim.isEmpty {
                    layer.dummyDataParam.shape[s].dim[0] = Int64(batch)
                }
                if !layer.dummyDataParam.num.isEmpty {
                    layer.dummyDataParam.num = layer.dummyDataParam.num.map { _ in UInt32(batch) }
                }
            case "Data":
                layer.dataParam.batchSize = UInt32(batch)
            case "ImageData":
                layer.imageDataParam.batchSize = UInt32(batch)
            case "HDF5Data":
                layer.hdf5DataParam.batchSize = UInt32(batch)
            case "WindowData":
                layer.windowDataParam.batchSize = UInt32(batch)
            default:
                break
            }
            copy.param.layer[i] = layer
        }
        return copy
    }

    /// The same net with each layer of `types` replaced by a DummyData layer producing
    /// tops of the shapes `net` (an inspect-only build of this definition) gives them,
    /// filled once with constants (data 1, labels 0) — like a prefetching data layer,
    /// the stand-in costs almost nothing per forward. For timing without a dataset.
    public func replacingLayers(ofTypes types: Set<String>, shapesFrom net: Net) -> (NetDefinition, [String]) {
        var copy = self
        var replaced: [String] = []
        for i in copy.param.layer.indices where types.contains(copy.param.layer[i].type) {
            let original = copy.param.layer[i]
            guard let built = net.layers.firstIndex(where: { $0.name == original.name }) else { continue }
            var dummy = Caffe_LayerParameter()
            dummy.name = original.name
            dummy.type = "DummyData"
            dummy.top = original.top
            dummy.include = original.include
            dummy.exclude = original.exclude
            for (j, blob) in net.tops(ofLayer: built).enumerated() {
                var shape = Caffe_BlobShape()
                shape.dim = blob.shape.map { Int64($0) }
                dummy.dummyDataParam.shape.append(shape)
                var filler = Caffe_FillerParameter()
                filler.type = "constant"
                filler.value = j == 0 ? 1 : 0
                dummy.dummyDataParam.dataFiller.append(filler)
            }
            copy.param.layer[i] = dummy
            replaced.append(original.name)
        }
        return (copy, replaced)
    }
}
