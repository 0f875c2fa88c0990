"""Times CaffeNet or AlexNet inference in ONNX Runtime on the CPU: the net of nets.py
as an ONNX graph of Caffe's operators (see `graph`) at a fixed batch, with PyTorch's
weights and its output as the check, run with intra-op threads = --threads and all
graph optimisations on.

    python3 onnxruntime_bench.py --net caffenet --batch 64 --threads 2 --warmup 2 --iterations 5

A benchmark peer only, never a dependency of SwiftCaffe's build or tests.
"""

import os
import sys

import numpy as np
import onnx
import onnxruntime
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402
import timing  # noqa: E402


def graph(net, batch):
    """The ONNX graph of `net` built node by node with the ONNX operators that are
    Caffe's layers (torch.onnx.export would trace torch's LRN into pad/avg-pool/pow
    nodes, which is not the net ONNX Runtime users run): Conv (group), Relu, LRN
    (ONNX's alpha is divided by size, as Caffe's), MaxPool with ceil_mode, Flatten,
    Gemm. Dropout is the identity at inference and left out. Weights from `net`."""
    nodes, weights = [], []
    current = "data"
    convolutions = 0
    linears = 0
    for module in list(net[0]) + list(net[1]):
        if isinstance(module, torch.nn.Conv2d):
            convolutions += 1
            name = f"conv{convolutions}"
            inputs = [current, name + "_w", name + "_b"]
            attributes = dict(kernel_shape=list(module.kernel_size), strides=list(module.stride),
                              pads=[module.padding[0], module.padding[1]] * 2, group=module.groups)
            nodes.append(helper.make_node("Conv", inputs, [name], **attributes))
        elif isinstance(module, torch.nn.Linear):
            linears += 1
            name = f"fc{5 + linears}"
            inputs = [current, name + "_w", name + "_b"]
            nodes.append(helper.make_node("Gemm", inputs, [name], transB=1))  # y = x W^T + b
        else:
            name = f"{current}_{type(module).__name__}"
            if isinstance(module, torch.nn.ReLU):
                nodes.append(helper.make_node("Relu", [current], [name]))
            elif isinstance(module, torch.nn.LocalResponseNorm):
                nodes.append(helper.make_node("LRN", [current], [name], size=module.size, alpha=module.alpha,
                                              beta=module.beta, bias=module.k))
            elif isinstance(module, torch.nn.MaxPool2d):
                nodes.append(helper.make_node("MaxPool", [current], [name], kernel_shape=[3, 3], strides=[2, 2],
                                              ceil_mode=1))
            elif isinstance(module, torch.nn.Flatten):
                nodes.append(helper.make_node("Flatten", [current], [name], axis=1))
            elif isinstance(module, torch.nn.Dropout):
                continue
            else:
                raise SystemExit(f"no ONNX node for {module}")
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            weights.append(numpy_helper.from_array(module.weight.detach().numpy(), name + "_w"))
            weights.append(numpy_helper.from_array(module.bias.detach().numpy(), name + "_b"))
        current = name
    nodes[-1].output[0] = "fc8"
    model = helper.make_model(
        helper.make_graph(nodes, "net", [helper.make_tensor_value_info("data", TensorProto.FLOAT,
                                                                       [batch, *nets.INPUT_SHAPE])],
                          [helper.make_tensor_value_info("fc8", TensorProto.FLOAT, [batch, 1000])], weights),
        opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def main():
    parser = timing.arguments("ONNX Runtime CPU: inference of CaffeNet or AlexNet")
    args = parser.parse_args()

    torch.manual_seed(1)
    net = nets.make(args.net).eval()
    x = torch.ones(args.batch, *nets.INPUT_SHAPE)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    model = graph(net, args.batch).SerializeToString()
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    feed = {"data": x.numpy()}
    (scores,) = session.run(None, feed)
    with torch.inference_mode():
        expected = net(x).numpy()
    difference = float(np.abs(scores - expected).max())
    print(f"onnxruntime {onnxruntime.__version__}, {args.threads} intra-op threads; "
          f"fc8 {scores.shape}, max difference from PyTorch {difference:.2e}", flush=True)
    if scores.shape != (args.batch, 1000) or difference > 1e-3 * max(1.0, float(np.abs(expected).max())):
        raise SystemExit("ONNX Runtime's output differs from PyTorch's")

    times = timing.measure(lambda: session.run(None, feed), args.warmup, args.iterations)
    timing.report("onnxruntime", args.net, "inference", args.batch, times)


if __name__ == "__main__":
    main()
