import CaffeProto

/// The consumer side of a prefetching data layer (Data, ImageData): starts a
/// `BatchPrefetcher` at the layer's current example on the first forward (and after
/// a seek), copies each ready batch into the tops and counts the examples handed out.
/// In data-parallel training positions count the examples of all ranks (global batches
/// of shard.count × batchSize): the same number on every rank, and the one a single
/// process with the global batch would have.
///
/// With several views per example (10-crop testing) a prefetched batch holds every
/// example's views one after another; forward pass v copies view v of each example, and
/// the batch is handed back (and the examples counted) after the last view.
final class PrefetchedFeed {
    let batchSize: Int
    /// Batches prepared ahead (data_param.prefetch).
    let depth: Int
    /// This process's share of the examples (set before the first forward).
    var shard = DataShard.whole
    /// Examples handed to the net (of all ranks) so far: where the next global batch starts.
    private(set) var nextExample: Int64 = 0
    private var prefetcher: BatchPrefetcher?
    /// Net inputs per example (1, or `TenCrop.count`); change it only through `seek`.
    private(set) var viewsPerExample = 1
    /// The batch whose views are being handed out, and the next view of it.
    private var held: BatchPrefetcher.Slot?
    private(set) var nextView = 0

    /// `dataParam.prefetch` (Caffe's default 4) sets the depth, for ImageData too.
    init(batchSize: Int, dataParam: Caffe_DataParameter) {
        self.batchSize = batchSize
        depth = dataParam.hasPrefetch ? Int(dataParam.prefetch) : 4
    }

    deinit { prefetcher?.stop() }

    /// Copies the next batch into top[0] (N × C × H × W) and, if present, top[1]
    /// (N labels). `start` is called when no producer runs: it positions the layer's
    /// reader at the given example (this rank's first of the next global batch) and returns what fills one batch (on the producer
    /// thread). Errors from filling are thrown here, tagged with `layer`.
    func forward(top: [Blob], layer: String, start: (Int64) throws -> BatchPrefetcher.Fill) throws {
        if prefetcher == nil {
            let fill = try start(shard.localStart(ofGlobalBatchAt: nextExample, batchSize: batchSize))
            prefetcher = BatchPrefetcher(depth: depth, dataCount: top[0].count * viewsPerExample,
                                         labelCount: top.count > 1 ? batchSize : 0, fill: fill)
        }
        guard let prefetcher else { return }
        let slot: BatchPrefetcher.Slot
        if let held {
            slot = held
        } else {
            do {
                slot = try prefetcher.next()
            } catch var error as SwiftCaffeError {
                if error.layer == nil { error.layer = layer }
                throw error
            }
        }
        // Copied: the slot goes back to the producer.
        if viewsPerExample == 1 {
            top[0].data.update(from: slot.data.baseAddress!, count: top[0].count)
        } else {
            let stride = top[0].count / batchSize
            for item in 0..<batchSize {
                top[0].data.advanced(by: item * stride).update(
                    from: slot.data.baseAddress! + (item * viewsPerExample + nextView) * stride, count: stride)
            }
        }
        if top.count > 1 { top[1].data.update(from: slot.labels.baseAddress!, count: top[1].count) }
        nextView += 1
        if nextView == viewsPerExample {
            nextView = 0
            held = nil
            prefetcher.release()
            nextExample += Int64(shard.globalBatch(batchSize))
        } else {
            held = slot
        }
    }

    /// Makes the next forward start at the global batch beginning at example `position`
    /// (a new producer starts there).
    func seek(to position: Int64) {
        prefetcher?.stop()
        prefetcher = nil
        held = nil
        nextView = 0
        nextExample = position
    }

    /// Makes every example `views` net inputs from the next forward on (the filler must
    /// write that many); restarts at the next whole batch.
    func seek(to position: Int64, viewsPerExample views: Int) {
        seek(to: position)
        viewsPerExample = max(1, views)
    }
}
