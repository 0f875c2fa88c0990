/// A copy of a layer's input x for layers whose backward needs x when they run in
/// place (top === bottom), where forward overwrites x with y — Caffe's
/// `bottom_memory_`. Inactive (no memory, no copy) out of place.
final class InPlaceInput {
    private let saved = Blob(1)
    private(set) var active = false

    /// Called from the layer's `reshape`; `needed` says whether backward needs x.
    func reshape(bottom: Blob, top: Blob, needed: Bool) throws {
        active = needed && top === bottom
        if active { try saved.reshape(like: bottom) }
    }

    /// Saves x at the start of forward (when active).
    func save(_ bottom: Blob) {
        if active { ElementWise.copy(bottom.count, from: bottom.data, to: saved.data) }
    }

    /// The x to differentiate at: the saved copy when active, else the bottom's data.
    func input(_ bottom: Blob) -> UnsafePointer<Float> {
        UnsafePointer(active ? saved.data : bottom.data)
    }
}
