/// How a layer with oneDNN kernels picks them, in one place: when the net asks for
/// the dnnl engine and the layer's own `engine:` field does not say CAFFE, the layer
/// builds its kernels for the current shape (kept while the shape stays); when oneDNN
/// cannot compute the layer as Caffe does (only a reference kernel, a shape it does
/// not cover) the layer stays on the reference engine and says why in its notes.
extension Layer {
    func engineKernels<Kernels>(asksForReference: Bool, current: Kernels?, fits: (Kernels) -> Bool,
                                make: () throws -> Kernels?) -> Kernels? {
        guard !inspectOnly, requestedEngine.resolved(layerAsksForReference: asksForReference) == .dnnl else {
            return nil
        }
        if let current, fits(current) { return current }
        do {
            return try make()
        } catch {
            let reason = (error as? SwiftCaffeError)?.message ?? "\(error)"
            let note = "computed on openblas: \(reason)"
            if !notes.contains(note) { notes.append(note) }
            return nil
        }
    }
}
