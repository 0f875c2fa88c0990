import CaffeProto
import XCTest
@testable import SwiftCaffe

/// Independent references for RNN and LSTM: the nets Caffe's rnn_layer.cpp and
/// lstm_layer.cpp unroll, written out by hand from InnerProduct, Scale, Eltwise,
/// Slice, Concat, Sigmoid and TanH layers (the LSTM unit too, gate by gate), with
/// the parameters shared across time steps by name. A weighted sum of the outputs
/// (weights in the inputs `r`, `r_h`, `r_c`) is the loss, so that backward gives
/// every gradient for an objective whose top diffs are those weights.
struct UnrolledRecurrentNet {
    enum Kind { case rnn, lstm }
    let kind: Kind
    let timesteps: Int, streams: Int, inputSize: Int, hidden: Int
    /// Values per stream of the static input; 0 for none.
    let staticSize: Int

    var stateNames: [String] { kind == .lstm ? ["h", "c"] : ["h"] }

    /// The net's text.
    var prototxt: String {
        let (t, n, d, h) = (timesteps, streams, inputSize, hidden)
        let gates = kind == .lstm ? 4 * h : h
        func shape(_ dims: Int...) -> String { "shape { " + dims.map { "dim: \($0) " }.joined() + "}" }
        var tops = [("x", shape(t, n, d)), ("cont", shape(t, n))]
        tops += stateNames.map { ("\($0)_0", shape(1, n, h)) }
        if staticSize > 0 { tops.append(("x_static", shape(n, staticSize))) }
        tops.append(("r", shape(t, n, h)))
        tops += stateNames.map { ("r_\($0)", shape(1, n, h)) }
        var text = "force_backward: true\nlayer { name: \"input\" type: \"Input\" "
            + tops.map { "top: \"\($0.0)\" " }.joined() + "input_param { " + tops.map(\.1).joined(separator: " ") + " } }\n"
        func layer(_ name: String, _ type: String, _ bottoms: [String], _ tops: [String], _ body: String = "") {
            text += "layer { name: \"\(name)\" type: \"\(type)\" " + bottoms.map { "bottom: \"\($0)\" " }.joined()
                + tops.map { "top: \"\($0)\" " }.joined() + body + " }\n"
        }
        func innerProduct(_ outputs: Int, params: [String], axis: Int = 2) -> String {
            params.map { "param { name: \"\($0)\" } " }.joined()
                + "inner_product_param { num_output: \(outputs) bias_term: \(params.count > 1) axis: \(axis) }"
        }
        let (wx, b, ws, wh) = kind == .lstm ? ("W_xc", "b_c", "W_xc_static", "W_hc") : ("W_xh", "b_h", "W_xh_static", "W_hh")
        layer("x_transform", "InnerProduct", ["x"], ["x_part"], innerProduct(gates, params: [wx, b]))
        if staticSize > 0 {
            layer("static_transform", "InnerProduct", ["x_static"], ["static_flat"], innerProduct(gates, params: [ws], axis: 1))
            layer("static_reshape", "Reshape", ["static_flat"], ["static_part"], "reshape_param { shape { dim: 1 dim: -1 dim: \(gates) } }")
        }
        let steps = Array(1...t)
        layer("x_slice", "Slice", ["x_part"], steps.map { "x_part_\($0)" }, "slice_param { axis: 0 }")
        layer("cont_slice", "Slice", ["cont"], steps.map { "cont_\($0)" }, "slice_param { axis: 0 }")
        for s in steps {
            let p = s - 1
            layer("h_conted_\(p)", "Scale", ["h_\(p)", "cont_\(s)"], ["h_conted_\(p)"], "scale_param { axis: 0 }")
            layer("transform_\(s)", "InnerProduct", ["h_conted_\(p)"], ["h_part_\(s)"], innerProduct(gates, params: [wh]))
            layer("sum_\(s)", "Eltwise", ["h_part_\(s)", "x_part_\(s)"] + (staticSize > 0 ? ["static_part"] : []),
                  ["pre_\(s)"], "eltwise_param { operation: SUM }")
            switch kind {
            case .rnn:
                layer("h_neuron_\(s)", "TanH", ["pre_\(s)"], ["h_\(s)"])
                layer("W_ho_h_\(s)", "InnerProduct", ["h_\(s)"], ["o_pre_\(s)"], innerProduct(h, params: ["W_ho", "b_o"]))
                layer("o_neuron_\(s)", "TanH", ["o_pre_\(s)"], ["o_\(s)"])
            case .lstm:
                layer("gate_slice_\(s)", "Slice", ["pre_\(s)"], ["i_pre_\(s)", "f_pre_\(s)", "o_pre_\(s)", "g_pre_\(s)"],
                      "slice_param { axis: 2 }")
                for g in ["i", "f", "o"] { layer("\(g)_\(s)", "Sigmoid", ["\(g)_pre_\(s)"], ["\(g)_\(s)"]) }
                layer("g_\(s)", "TanH", ["g_pre_\(s)"], ["g_\(s)"])
                layer("f_conted_\(s)", "Scale", ["f_\(s)", "cont_\(s)"], ["f_conted_\(s)"], "scale_param { axis: 0 }")
                layer("fc_\(s)", "Eltwise", ["f_conted_\(s)", "c_\(p)"], ["fc_\(s)"], "eltwise_param { operation: PROD }")
                layer("ig_\(s)", "Eltwise", ["i_\(s)", "g_\(s)"], ["ig_\(s)"], "eltwise_param { operation: PROD }")
                layer("c_\(s)", "Eltwise", ["fc_\(s)", "ig_\(s)"], ["c_\(s)"], "eltwise_param { operation: SUM }")
                layer("tanh_c_\(s)", "TanH", ["c_\(s)"], ["tanh_c_\(s)"])
                layer("h_\(s)", "Eltwise", ["o_\(s)", "tanh_c_\(s)"], ["h_\(s)"], "eltwise_param { operation: PROD }")
            }
        }
        let output = kind == .lstm ? "h" : "o"
        layer("concat", "Concat", steps.map { "\(output)_\($0)" }, ["out"], "concat_param { axis: 0 }")
        var losses = [("out", "r")]
        losses += stateNames.map { ("\($0)_\(t)", "r_\($0)") }
        for (k, (blob, weights)) in losses.enumerated() {
            layer("weigh_\(k)", "Eltwise", [blob, weights], ["weighted_\(k)"], "eltwise_param { operation: PROD }")
            layer("loss_\(k)", "Reduction", ["weighted_\(k)"], ["loss_\(k)"], "loss_weight: 1")
        }
        return text
    }

    /// The reference net with the parameters of `layer` (an RNN or LSTM set up for
    /// these sizes, with a static input when `staticSize` > 0), inputs copied from
    /// the layer's bottoms (x, cont, [static], [states]) and the objective's weights.
    func build(sharing layer: Layer, bottom: [Blob], weights: [Blob]) throws -> Net {
        let net = try TestSupport.buildNet(prototxt)
        let hasStatic = staticSize > 0
        let owners: [(String, Int)] = [("x_transform", 0), ("x_transform", 1)] + (hasStatic ? [("static_transform", 0)] : [])
            + [("transform_1", 0)] + (kind == .rnn ? [("W_ho_h_1", 0), ("W_ho_h_1", 1)] : [])
        XCTAssertEqual(owners.count, layer.blobs.count)
        for (k, (name, index)) in owners.enumerated() {
            let target = try XCTUnwrap(net.layer(named: name)).blobs[index]
            XCTAssertEqual(target.shape, layer.blobs[k].shape, "\(name) blob \(index)")
            target.setData(layer.blobs[k].dataArray)
        }
        try XCTUnwrap(net.blob(named: "x")).setData(bottom[0].dataArray)
        try XCTUnwrap(net.blob(named: "cont")).setData(bottom[1].dataArray)
        if hasStatic { try XCTUnwrap(net.blob(named: "x_static")).setData(bottom[2].dataArray) }
        for (k, name) in stateNames.enumerated() {
            let source = bottom.count > 2 + (hasStatic ? 1 : 0) + k ? bottom[(hasStatic ? 3 : 2) + k].dataArray : nil
            try XCTUnwrap(net.blob(named: "\(name)_0")).setData(source ?? Array(repeating: 0, count: streams * hidden))
        }
        for (k, name) in (["r"] + stateNames.map { "r_\($0)" }).enumerated() where k < weights.count {
            try XCTUnwrap(net.blob(named: name)).setData(weights[k].dataArray)
        }
        return net
    }

    /// The gradients of the reference's parameters, in the layer's order.
    func parameterDiffs(_ net: Net) throws -> [[Float]] {
        let owners: [(String, Int)] = [("x_transform", 0), ("x_transform", 1)] + (staticSize > 0 ? [("static_transform", 0)] : [])
            + [("transform_1", 0)] + (kind == .rnn ? [("W_ho_h_1", 0), ("W_ho_h_1", 1)] : [])
        return try owners.map { try XCTUnwrap(net.layer(named: $0.0)).blobs[$0.1].diffArray }
    }
}
