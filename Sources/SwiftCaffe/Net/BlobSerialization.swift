import CaffeProto

/// Conversions between `Blob` and Caffe's `BlobProto`, in both of Caffe's shape forms.
extension Caffe_BlobProto {
    /// The shape this proto describes: `shape.dim`, or the legacy num/channels/height/width.
    public var blobShape: [Int] {
        if hasShape { return shape.dim.map { Int($0) } }
        if hasNum || hasChannels || hasHeight || hasWidth {
            return [Int(num), Int(channels), Int(height), Int(width)]
        }
        return [data.count]
    }

    /// Caffe's file form of a blob: `shape { dim… }` and packed Float32 data (and diff).
    public init(_ blob: Blob, includeDiff: Bool = false) {
        self.init()
        shape.dim = blob.shape.map { Int64($0) }
        data = Array(blob.dataBuffer)
        if includeDiff { diff = Array(blob.diffBuffer) }
    }

    /// The values as Float32, whether stored in `data` or in Caffe's `double_data`.
    var floatValues: [Float] { data.isEmpty && !doubleData.isEmpty ? doubleData.map { Float($0) } : data }
}

extension Blob {
    /// Copies values from `proto`; the shapes must hold the same number of values and,
    /// unless `reshape` is true, be equal (legacy 4-D shapes compare by count when the
    /// blob is not 4-D, as Caffe's ShapeEquals does for old files).
    public func copy(from proto: Caffe_BlobProto, reshape: Bool = false) throws {
        let shape = proto.blobShape
        if reshape {
            try self.reshape(shape)
        } else if shape != self.shape {
            let legacyMatch = !proto.hasShape && shape.reduce(1, *) == count
                && Array(shape.drop { $0 == 1 }) == Array(self.shape.drop { $0 == 1 })
            guard legacyMatch else {
                throw SwiftCaffeError(.semantic, "shape mismatch: the file has \(Blob.describe(shape)), "
                                      + "the net has \(shapeString)")
            }
        }
        let values = proto.floatValues
        guard values.count == count else {
            throw SwiftCaffeError(.io, "blob holds \(values.count) values, its shape \(Blob.describe(shape)) needs \(count)")
        }
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
        if !proto.diff.isEmpty {
            guard proto.diff.count == count else {
                throw SwiftCaffeError(.io, "blob holds \(proto.diff.count) gradient values for \(count) values")
            }
            proto.diff.withUnsafeBufferPointer { diff.update(from: $0.baseAddress!, count: count) }
        }
    }
}

extension Net {
    /// Caffe's `Net::ToProto`: every layer (Split included) with its learnable blobs,
    /// the form a `.caffemodel` holds.
    public func toProto(includeDiffs: Bool = false) -> Caffe_NetParameter {
        var proto = Caffe_NetParameter()
        proto.name = name
        for (i, layer) in layers.enumerated() {
            var p = layer.param   // phase included, as Caffe writes it
            // Caffe's loss layers record their default weight in their parameters.
            if layer.isLossLayer, p.lossWeight.isEmpty { p.lossWeight = [1] }
            p.blobs = layer.blobs.map { Caffe_BlobProto($0, includeDiff: includeDiffs) }
            p.bottom = bottomIDs[i].map { blobNames[$0] }
            p.top = topIDs[i].map { blobNames[$0] }
            proto.layer.append(p)
        }
        return proto
    }

    /// Caffe's `CopyTrainedLayersFrom`: for every layer of `weights` whose name is a
    /// layer of this net, copies its blobs. Layers only one side has are skipped.
    /// Returns the names of the layers copied.
    @discardableResult
    public func copyTrainedLayers(from weights: Caffe_NetParameter, source: String = "the weights file") throws -> [String] {
        var upgraded = weights
        if LegacyUpgrade.needsUpgrade(weights) { _ = try LegacyUpgrade.upgrade(&upgraded) }
        var copied: [String] = []
        for trained in upgraded.layer where !trained.blobs.isEmpty {
            guard let target = layer(named: trained.name) else { continue }
            guard trained.blobs.count == target.blobs.count else {
                throw SwiftCaffeError(.semantic,
                    "\(source) has \(trained.blobs.count) blobs for layer '\(trained.name)', the net has \(target.blobs.count)",
                    layer: trained.name,
                    hint: "rename the layer in the net definition to initialise it from its fillers instead")
            }
            for (k, proto) in trained.blobs.enumerated() {
                do {
                    try target.blobs[k].copy(from: proto)
                } catch var error as SwiftCaffeError {
                    error.message = "cannot copy blob \(k) of layer '\(trained.name)' from \(source): " + error.message
                    error.layer = trained.name
                    error.hint = "rename the layer in the net definition to initialise it from its fillers instead"
                    throw error
                }
            }
            copied.append(trained.name)
        }
        return copied
    }
}
