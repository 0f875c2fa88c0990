import CaffeProto

/// Caffe's InsertSplits: when one top feeds several bottoms (or feeds a bottom and is
/// also a weighted loss), a "Split" layer is placed right after its producer and each
/// consumer reads its own copy. Names follow Caffe so weights and logs line up:
/// layer `<blob>_<producer>_<topIndex>_split`, tops `…_split_<k>`.
enum SplitInsertion {
    struct TopRef: Hashable { var layer: Int; var top: Int }

    static func layerName(blob: String, producer: String, topIndex: Int) -> String {
        "\(blob)_\(producer)_\(topIndex)_split"
    }

    static func blobName(blob: String, producer: String, topIndex: Int, split: Int) -> String {
        "\(blob)_\(producer)_\(topIndex)_split_\(split)"
    }

    /// Returns the layers with splits inserted, each with the index of the input layer
    /// it came from (nil for an inserted Split). Bottoms must already be known to exist.
    static func insertSplits(_ layers: [Caffe_LayerParameter]) -> [(param: Caffe_LayerParameter, origin: Int?)] {
        var lastProducer: [String: TopRef] = [:]
        var consumerCount: [TopRef: Int] = [:]
        var sourceOfBottom: [TopRef: TopRef] = [:]   // (layer, bottom) → producing top
        var lossWeightOfTop: [TopRef: Float] = [:]
        for (i, layer) in layers.enumerated() {
            for (j, name) in layer.bottom.enumerated() {
                guard let source = lastProducer[name] else { continue }
                sourceOfBottom[TopRef(layer: i, top: j)] = source
                consumerCount[source, default: 0] += 1
            }
            for (j, name) in layer.top.enumerated() {
                let ref = TopRef(layer: i, top: j)
                lastProducer[name] = ref
                // A weighted loss output counts as one more consumer.
                if j < layer.lossWeight.count {
                    lossWeightOfTop[ref] = layer.lossWeight[j]
                    if layer.lossWeight[j] != 0 { consumerCount[ref, default: 0] += 1 }
                }
            }
        }
        var result: [(param: Caffe_LayerParameter, origin: Int?)] = []
        var nextSplitIndex: [TopRef: Int] = [:]
        for (i, original) in layers.enumerated() {
            var layer = original
            for j in layer.bottom.indices {
                guard let source = sourceOfBottom[TopRef(layer: i, top: j)],
                      consumerCount[source, default: 0] > 1 else { continue }
                let producer = layers[source.layer]
                let k = nextSplitIndex[source, default: 0]
                nextSplitIndex[source] = k + 1
                layer.bottom[j] = blobName(blob: producer.top[source.top], producer: producer.name,
                                           topIndex: source.top, split: k)
            }
            var splits: [Caffe_LayerParameter] = []
            for (j, name) in layer.top.enumerated() {
                let ref = TopRef(layer: i, top: j)
                let consumers = consumerCount[ref, default: 0]
                guard consumers > 1 else { continue }
                var split = Caffe_LayerParameter()
                split.name = layerName(blob: name, producer: layer.name, topIndex: j)
                split.type = "Split"
                split.bottom = [name]
                let lossWeight = lossWeightOfTop[ref] ?? 0
                for k in 0..<consumers {
                    split.top.append(blobName(blob: name, producer: layer.name, topIndex: j, split: k))
                    if lossWeight != 0 { split.lossWeight.append(k == 0 ? lossWeight : 0) }
                }
                if lossWeight != 0 {
                    // The split's first output now carries the loss; consumers start at 1.
                    layer.lossWeight[j] = 0
                    nextSplitIndex[ref] = 1
                }
                splits.append(split)
            }
            result.append((layer, i))
            result.append(contentsOf: splits.map { ($0, nil) })
        }
        return result
    }
}
