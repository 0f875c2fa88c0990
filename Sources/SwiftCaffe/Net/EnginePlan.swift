/// The dnnl engine's decisions that need the whole net, made once every layer is set
/// up (only then is it known which layers got oneDNN kernels for their shapes):
///
/// - an in-place ReLU right after a dnnl Convolution with one top, negative_slope ≥ 0,
///   is fused into the convolution's forward as an eltwise_relu post-op; the ReLU's
///   forward then does nothing and its backward runs on oneDNN, reading y (for an
///   in-place ReLU with slope ≥ 0, y > 0 exactly where x > 0, so the mask is the same);
/// - any other ReLU over a 4-D blob made by a dnnl layer runs on oneDNN (`DNNLReLU`),
///   so that the blob stays in the blocked layout: on the reference code it would be
///   converted to plain NCHW and back around the ReLU, twice per pass;
/// - every other ReLU stays on the reference code, as fast there as oneDNN's (a
///   memory-bound loop) and with no conversion to pay.
///
/// The layers only expose the switches (`ConvolutionLayer.fuseReLU`,
/// `ReLULayer.runsOnEngine`); the decision is here, in one place.
enum EnginePlan {
    static func apply(to net: Net) throws {
        for i in net.layers.indices {
            guard let relu = net.layers[i] as? ReLULayer, relu.requestedEngine == .dnnl, !relu.asksForReference,
                  let bottom = net.bottomIDs[i].first,
                  let producer = (0..<i).last(where: { net.topIDs[$0].contains(bottom) }),
                  net.layers[producer].engineDescription.hasPrefix("dnnl") else { continue }
            do {
                let inPlace = net.topIDs[i] == net.bottomIDs[i]
                if producer == i - 1, inPlace, relu.negativeSlope >= 0, net.topIDs[producer].count == 1,
                   let convolution = net.layers[producer] as? ConvolutionLayer {
                    try convolution.fuseReLU(slope: relu.negativeSlope, bottom: net.bottoms(ofLayer: producer),
                                             top: net.tops(ofLayer: producer))
                    if convolution.appliesFusedReLU { relu.fusedInto = convolution }
                }
                relu.runsOnEngine = true
                try relu.reshape(bottom: net.bottoms(ofLayer: i), top: net.tops(ofLayer: i))
            } catch let error as SwiftCaffeError {
                throw error.inLayer(relu.name, at: net.layerLocations[i])
            }
        }
    }
}
