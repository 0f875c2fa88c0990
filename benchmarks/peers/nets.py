"""CaffeNet and AlexNet in PyTorch, layer for layer as Caffe's
models/bvlc_reference_caffenet and models/bvlc_alexnet define them.

A benchmark peer only: nothing in the build or the tests imports this.

What has to match Caffe (docs: /work/shared/FACTS.md, "AlexNet"):
- conv2, conv4, conv5 have group 2 (each half sees half the input channels);
- LRN ACROSS_CHANNELS, local_size 5, alpha 1e-4, beta 0.75, k 1: Caffe computes
  a / (k + alpha/n * sum(a^2))^beta, and torch.nn.LocalResponseNorm divides alpha by
  its size in the same way (k=1 must be passed: it is also torch's default, but
  the paper's 2 is a common mistake);
- max pooling 3x3 stride 2 with Caffe's ceil rounding (ceil_mode=True; at 227x227
  the floor gives the same 27, 13, 6, but other input sizes would differ);
- the pool/LRN order: CaffeNet conv -> relu -> pool -> norm, AlexNet
  conv -> relu -> norm -> pool;
- dropout 0.5 after fc6 and fc7; fc6 takes 256*6*6 = 9216 inputs.
"""

import torch
from torch import nn

# Caffe's parameter count for both nets, weights + biases (FACTS.md table).
CAFFE_PARAMETERS = 60_965_224
INPUT_SHAPE = (3, 227, 227)


def _lrn():
    return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=1.0)


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


def make(name):
    """The net called `name` ("caffenet" or "alexnet"): N x 3 x 227 x 227 -> N x 1000 scores."""
    if name not in ("caffenet", "alexnet"):
        raise ValueError(f"unknown net {name!r}: use caffenet or alexnet")

    def normalize_then_pool():
        # AlexNet: norm then pool; CaffeNet: pool then norm.
        return [_lrn(), _pool()] if name == "alexnet" else [_pool(), _lrn()]

    features = nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=11, stride=4),             # 96 x 55 x 55
        nn.ReLU(inplace=True),
        *normalize_then_pool(),                                   # 96 x 27 x 27
        nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2),  # 256 x 27 x 27
        nn.ReLU(inplace=True),
        *normalize_then_pool(),                                   # 256 x 13 x 13
        nn.Conv2d(256, 384, kernel_size=3, padding=1),           # 384 x 13 x 13
        nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2),
        nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2),
        nn.ReLU(inplace=True),
        _pool(),                                                  # 256 x 6 x 6
    )
    classifier = nn.Sequential(
        nn.Flatten(),                                             # 9216
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(4096, 1000),
    )
    net = nn.Sequential(features, classifier)
    # The train_val fillers: weights gaussian std 0.01 (fc6, fc7: 0.005); biases 0 for
    # conv1, conv3, fc8 and 1 (CaffeNet) or 0.1 (AlexNet) for the others. The values
    # do not change the arithmetic, but keep the activations where Caffe's first
    # steps have them.
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    nonzero_bias = 1.0 if name == "caffenet" else 0.1
    for index, module in enumerate(layers):  # conv1..conv5, fc6, fc7, fc8
        nn.init.normal_(module.weight, std=0.005 if index in (5, 6) else 0.01)
        nn.init.constant_(module.bias, 0.0 if index in (0, 2, 7) else nonzero_bias)
    return net


def parameter_count(net):
    return sum(p.numel() for p in net.parameters())


def check(net, name, batch):
    """Prints and checks what can be compared with Caffe without running it: the
    parameter count and the shapes after pool5 and fc8. Raises on a mismatch."""
    count = parameter_count(net)
    with torch.inference_mode():
        x = torch.zeros(batch, *INPUT_SHAPE)
        pool5 = net[0](x)
        scores = net[1](pool5)
    print(f"check {name}: {count:,} parameters (Caffe: {CAFFE_PARAMETERS:,}); "
          f"pool5 {tuple(pool5.shape)}, fc8 {tuple(scores.shape)}")
    if count != CAFFE_PARAMETERS:
        raise SystemExit(f"{name}: {count} parameters, Caffe has {CAFFE_PARAMETERS}")
    if tuple(pool5.shape) != (batch, 256, 6, 6) or tuple(scores.shape) != (batch, 1000):
        raise SystemExit(f"{name}: output shapes differ from Caffe's")
    check_lrn()


def check_lrn():
    """torch's LRN against Caffe's formula written out (LRNLayer::CrossChannelForward:
    scale = k + alpha/n * sum over the n channels centred on c, zero-padded, of a^2;
    b = a * scale^-beta) on a small random input."""
    torch.manual_seed(0)
    a = torch.randn(2, 7, 3, 4) * 10  # large enough that the sum matters
    n, alpha, beta, k = 5, 1e-4, 0.75, 1.0
    padded = torch.nn.functional.pad(a * a, (0, 0, 0, 0, n // 2, n // 2))
    sums = torch.stack([padded[:, c:c + n].sum(dim=1) for c in range(a.shape[1])], dim=1)
    caffe = a * (k + alpha / n * sums) ** -beta
    error = (_lrn()(a) - caffe).abs().max().item()
    print(f"check LRN against Caffe's formula: max difference {error:.2e}")
    if error > 1e-4:
        raise SystemExit("torch's LRN differs from Caffe's")


def sgd(net):
    """Caffe's solver for these nets: momentum 0.9, weight_decay 0.0005, base_lr
    0.01; weights lr_mult 1 decay_mult 1, biases lr_mult 2 decay_mult 0. (PyTorch's
    momentum form v = mu v + g, p -= lr v equals Caffe's v = mu v + lr g, p -= v at a
    fixed rate; both cost one pass over the 61M parameters.)"""
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    biases = [m.bias for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    return torch.optim.SGD([
        {"params": weights, "lr": 0.01, "weight_decay": 5e-4},
        {"params": biases, "lr": 0.02, "weight_decay": 0.0},
    ], lr=0.01, momentum=0.9)
