"""Peak resident memory of a short training run: SwiftCaffe on each engine and, when
installed, PyTorch, on CaffeNet and AlexNet at one batch size.

    python3 benchmarks/peers/peak_memory.py --bin .build/release/swiftcaffe --batch 64

SwiftCaffe: `swiftcaffe train` on the train_val net with its Data layers replaced by
DummyData (swiftcaffe_train.py's net), the reference solver's rule, `--steps` steps;
the figure is the process's own `ru_maxrss`, which `swiftcaffe train` prints in its
last log line ("peak memory M MB"). PyTorch: torch_bench.py's training step for as
many steps; the figure is the child's `ru_maxrss` from wait4. Each measurement is a
fresh process, so no figure includes another's high-water mark. Prints a Markdown table.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from swiftcaffe_train import write_solver  # noqa: E402

MODELS = {"caffenet": "models/bvlc_reference_caffenet/train_val.prototxt",
          "alexnet": "models/bvlc_alexnet/train_val.prototxt"}


def swiftcaffe_peak(binary, net, batch, engine, steps, threads):
    """MB that `swiftcaffe train` reports as its peak resident memory."""
    with tempfile.TemporaryDirectory() as folder:
        solver_path = write_solver(folder, MODELS[net], batch, steps)
        command = [binary, "train", "--solver", solver_path, "--engine", engine, "--threads", str(threads)]
        run = subprocess.run(command, capture_output=True, text=True)
        output = run.stdout + run.stderr
        match = re.search(r"peak memory (\d+) MB", output)
        if run.returncode != 0 or not match:
            sys.stdout.write(output[-2000:])
            raise SystemExit(f"swiftcaffe train failed (exit {run.returncode})")
        return int(match.group(1))


def child_peak(command):
    """MB of a child's peak resident memory (its own ru_maxrss, KiB on Linux)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stdout.write(error[-2000:])
        raise SystemExit(f"{command[1]} failed")
    return usage.ru_maxrss // 1024


def main():
    parser = argparse.ArgumentParser(description="peak memory of short training runs")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--nets", default="caffenet,alexnet")
    parser.add_argument("--engines", default="openblas,dnnl")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
        has_torch = True
    except ImportError:
        has_torch = False
        print("PyTorch is not installed: its column is left out", file=sys.stderr)

    engines = args.engines.split(",")
    header = [f"SwiftCaffe {e}" for e in engines] + (["PyTorch"] if has_torch else [])
    print(f"| net, batch {args.batch}, {args.steps} training steps | " + " | ".join(header) + " |")
    print("| --- |" + " ---: |" * len(header))
    for net in args.nets.split(","):
        cells = [swiftcaffe_peak(args.bin, net, args.batch, e, args.steps, args.threads) for e in engines]
        if has_torch:
            cells.append(child_peak([sys.executable, os.path.join(here, "torch_bench.py"), "--net", net,
                                     "--batch", str(args.batch), "--threads", str(args.threads),
                                     "--what", "train", "--warmup", "1", "--iterations", str(args.steps - 1)]))
        print(f"| {net} | " + " | ".join(f"{c} MB" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
