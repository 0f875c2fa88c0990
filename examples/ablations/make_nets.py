#!/usr/bin/env python3
"""Writes the ablation nets of examples/ablations/nets/ from the small AlexNet-style
Fashion-MNIST net (models/fashion_mnist/alexnet_style_train_test.prototxt), one change
each, so that `swiftcaffe compare nets/alexnet.prototxt nets/X.prototxt` shows exactly
what an ablation changes. Run it again after editing the base net:

    python3 examples/ablations/make_nets.py
"""
import os
import re

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
models = os.path.join(root, "models", "fashion_mnist")


def body(name):
    text = open(os.path.join(models, name)).read()
    return text[text.index("name: "):]


def layer_span(text, name):
    """The text of `layer { name: "<name>" ... }`, braces balanced."""
    start = text.index('layer {\n  name: "%s"' % name)
    depth, i = 0, start
    while True:
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                end = i + 1
                while end < len(text) and text[end] == "\n":
                    end += 1
                return start, end
        i += 1


def remove_layer(text, name):
    start, end = layer_span(text, name)
    return text[:start] + text[end:]


def edit_layer(text, name, old, new):
    start, end = layer_span(text, name)
    part = text[start:end]
    assert old in part, (name, old)
    return text[:start] + part.replace(old, new) + text[end:]


TRAIN_ACCURACY = '''layer {
  name: "accuracy_train"
  type: "Accuracy"
  bottom: "fc8"
  bottom: "label"
  top: "accuracy_train"
  include { phase: TRAIN }
}
'''


def with_train_accuracy(text):
    # The training error (the paper's Figure 1 measures it): printed with the loss.
    start, _ = layer_span(text, "accuracy")
    return text[:start] + TRAIN_ACCURACY + text[start:]


def tanh(text):
    return text.replace('type: "ReLU"', 'type: "TanH"')


def no_lrn(text):
    for norm, conv, pool in (("norm1", "conv1", "pool1"), ("norm2", "conv2", "pool2")):
        text = remove_layer(text, norm)
        text = edit_layer(text, pool, 'bottom: "%s"' % norm, 'bottom: "%s"' % conv)
    return text


def pool_2x2(text):
    for pool in ("pool1", "pool2", "pool5"):
        text = edit_layer(text, pool, "kernel_size: 3 stride: 2 }   # overlapping: 3x3 windows, stride 2",
                          "kernel_size: 2 stride: 2 }   # not overlapping: 2x2 windows, stride 2")
    return text


def no_dropout(text):
    return remove_layer(remove_layer(text, "drop6"), "drop7")


def one_path_half_width(text):
    # The paper's one-GPU net: half as many kernels in every convolution, no groups.
    for conv, width in (("conv1", 32), ("conv2", 64), ("conv3", 96), ("conv4", 96), ("conv5", 64)):
        text = edit_layer(text, conv, "num_output: %d" % width, "num_output: %d" % (width // 2))
        start, end = layer_span(text, conv)
        text = text[:start] + text[start:end].replace("    group: 2\n", "") + text[end:]
    return text


def crop24(text):
    # Random 24x24 crops in training, the centre crop (or, with test --oversample, the
    # ten crops) in testing: the paper's 224-of-256 at Fashion-MNIST's scale.
    text = text.replace("    mirror: true ", "    crop_size: 24\n    mirror: true ")
    return text.replace("    mirror: false ", "    crop_size: 24\n    mirror: false ")


variants = {
    "alexnet": ("alexnet_style_train_test.prototxt", []),
    "caffenet": ("caffenet_style_train_test.prototxt", []),
    "tanh": ("alexnet_style_train_test.prototxt", [tanh]),
    "no_lrn": ("alexnet_style_train_test.prototxt", [no_lrn]),
    "pool_2x2": ("alexnet_style_train_test.prototxt", [pool_2x2]),
    "no_dropout": ("alexnet_style_train_test.prototxt", [no_dropout]),
    "one_path_half_width": ("alexnet_style_train_test.prototxt", [one_path_half_width]),
    "crop24": ("alexnet_style_train_test.prototxt", [crop24]),
}
descriptions = {
    "alexnet": "the base: models/fashion_mnist/alexnet_style_train_test.prototxt",
    "caffenet": "CaffeNet's order (pooling before LRN, one path): caffenet_style_train_test.prototxt",
    "tanh": "TanH instead of every ReLU",
    "no_lrn": "without the two LRN layers",
    "pool_2x2": "non-overlapping 2x2/2 max pooling instead of overlapping 3x3/2",
    "no_dropout": "without dropout on fc6 and fc7",
    "one_path_half_width": "one path of half width: half the kernels in every convolution, no groups",
    "crop24": "trained on random 24x24 crops (mirrored), tested on the centre or the ten crops",
}

os.makedirs(os.path.join(here, "nets"), exist_ok=True)
for name, (base, edits) in variants.items():
    text = body(base)
    for edit in edits:
        text = edit(text)
    text = with_train_accuracy(text)
    text = re.sub(r'^name: "[^"]*"', 'name: "%s"' % name, text, count=1)
    header = ("# Ablation '%s': %s.\n# Written by examples/ablations/make_nets.py from models/fashion_mnist/%s;\n"
              "# edit that file and the script, not this one.\n") % (name, descriptions[name], base)
    with open(os.path.join(here, "nets", name + ".prototxt"), "w") as out:
        out.write(header + text)
    print("wrote nets/%s.prototxt" % name)
