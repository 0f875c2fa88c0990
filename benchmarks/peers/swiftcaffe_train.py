"""Times SwiftCaffe's whole training step — forward, backward and the SGD momentum
update over the 61M parameters, as PyTorch's step is timed — with a short
`swiftcaffe train` run, since `swiftcaffe time` leaves the update out.

    python3 swiftcaffe_train.py --bin .build/release/swiftcaffe --net caffenet \
        --model models/bvlc_reference_caffenet/train_val.prototxt --batch 64 --engine dnnl

The train_val net is copied with its Data layers replaced by one DummyData layer
(data N x 3 x 227 x 227 all 1, labels 0: the input `swiftcaffe time` uses; constant
fillers are filled once, so no time goes to data), and trained with the reference
solver's rule (SGD, momentum 0.9, weight_decay 0.0005, lr 0.01, biases lr_mult 2
from the net) for warmup + iterations + 1 steps with display 1. The solver prints
"Iteration K, loss = …" after the forward and backward of step K; the time between
the lines of K-1 and K, stamped here as they arrive, is one whole step (update of
K-1, clearing the gradients, forward and backward of K). Needs only Python's
standard library; prints one `result` line (timing.py).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402


def top_level_blocks(text):
    """Splits a prototxt into its top-level pieces: (is_layer, text) in order."""
    pieces, depth, start, i = [], 0, 0, 0
    # Comments may hold braces: drop them (these nets have no '#' inside strings).
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for match in re.finditer(r"[{}]", text):
        i = match.start()
        if text[i] == "{":
            if depth == 0:
                head = text.rfind("\n", 0, i) + 1
                pieces.append((False, text[start:head]))
                start = head
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                pieces.append((True, text[start:i + 1]))
                start = i + 1
    pieces.append((False, text[start:]))
    return pieces


def dummy_data_net(text, batch):
    dummy = f"""layer {{
  name: "data"
  type: "DummyData"
  top: "data"
  top: "label"
  dummy_data_param {{
    shape {{ dim: {batch} dim: 3 dim: 227 dim: 227 }}
    shape {{ dim: {batch} }}
    data_filler {{ type: "constant" value: 1 }}
    data_filler {{ type: "constant" value: 0 }}
  }}
}}
"""
    out, inserted = [], False
    for is_layer, piece in top_level_blocks(text):
        if is_layer and re.search(r'^\s*type:\s*"Data"', piece, re.M):
            if not inserted:
                out.append(dummy)
                inserted = True
            continue
        out.append(piece)
    if not inserted:
        raise SystemExit("no Data layer to replace in the net")
    return "".join(out)


def write_solver(folder, model, batch, steps):
    """Writes the DummyData copy of `model` and a solver with the reference rule for
    `steps` steps (display 1, no snapshots) into `folder`; returns the solver's path."""
    net_path = os.path.join(folder, "train.prototxt")
    with open(model) as f:
        net_text = dummy_data_net(f.read(), batch)
    with open(net_path, "w") as f:
        f.write(net_text)
    solver_path = os.path.join(folder, "solver.prototxt")
    with open(solver_path, "w") as f:
        f.write(f"""net: "{net_path}"
base_lr: 0.01
lr_policy: "fixed"
momentum: 0.9
weight_decay: 0.0005
max_iter: {steps}
display: 1
snapshot: 0
snapshot_after_train: false
snapshot_prefix: "{folder}/snapshot"
random_seed: 1
solver_mode: CPU
""")
    return solver_path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--net", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--engine", default="openblas")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        steps = args.warmup + args.iterations + 1
        solver_path = write_solver(folder, args.model, args.batch, steps)
        command = [args.bin, "train", "--solver", solver_path, "--engine", args.engine,
                   "--threads", str(args.threads)]
        stamps = {}
        log = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
            for line in process.stdout:
                now = time.perf_counter()
                log.append(line)
                match = re.match(r"Iteration (\d+), loss = ", line)
                if match:
                    stamps[int(match.group(1))] = now
        if process.returncode != 0 or len(stamps) < steps:
            sys.stdout.write("".join(log[-20:]))
            raise SystemExit(f"swiftcaffe train failed (exit {process.returncode})")
    # Steps 0..warmup are warm-up (step 0 also allocates); then `iterations` deltas.
    times = [(stamps[k] - stamps[k - 1]) * 1000 for k in range(args.warmup + 1, steps)]
    timing.report(f"swiftcaffe-{args.engine}", args.net, "train", args.batch, times)


if __name__ == "__main__":
    main()
