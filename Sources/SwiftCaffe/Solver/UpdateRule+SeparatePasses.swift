/// The update as Caffe sequences it, one whole-blob pass per step: OpenBLAS's
/// sscal/saxpy for clipping, 1/iter_size and L2 decay, a parallel loop for the method,
/// saxpy for w −= update. It was `apply` before the fused pass (#11); it stays as the
/// oracle the fused pass is tested against bit for bit (UpdateRuleFusedTests) and as
/// the baseline of `swiftcaffe time --solver … --separate-update-passes`.
extension UpdateRule {
    @discardableResult
    public func applyInSeparatePasses(rate: Float, iter: Int) -> String? {
        let (note, clipScale) = clipScale()
        if let clipScale {
            for i in params.indices { BLAS.scal(params[i].count, alpha: clipScale, x: params[i].diff) }
        }
        for i in params.indices {
            let param = params[i], n = param.count
            let w = param.data, g = param.diff
            if iterSize > 1 { BLAS.scal(n, alpha: 1 / Float(iterSize), x: g) }
            let localDecay = weightDecay * decayMultipliers[i]
            if localDecay != 0 {
                if l1 {
                    Parallel.forRanges(n) { s, e in Self.addL1Decay(localDecay, w: w, g: g, s, e) }
                } else {
                    BLAS.axpy(n, alpha: localDecay, x: w, y: g)
                }
            }
            let rates = methodRates(localRate: rate * lrMultipliers[i], iter: iter)
            Parallel.forRanges(n) { s, e in methodUpdate(i, rates, s, e) }
            BLAS.axpy(n, alpha: -1, x: g, y: w)   // Caffe's Net::Update: w -= diff
        }
        return note
    }
}
