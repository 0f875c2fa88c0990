"""Times CaffeNet or AlexNet in PyTorch on the CPU: a training step (forward, loss,
backward, SGD momentum update, zero_grad) and inference (eval mode, inference_mode).

    python3 torch_bench.py --net caffenet --batch 64 --threads 2 --warmup 2 --iterations 5

Prints the checks of nets.check and one `result` line per measurement (timing.py).
A benchmark peer only, never a dependency of SwiftCaffe's build or tests.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402
import timing  # noqa: E402


def main():
    parser = timing.arguments("PyTorch CPU: train step and inference of CaffeNet or AlexNet")
    parser.add_argument("--what", default="train,inference")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    net = nets.make(args.net)
    nets.check(net, args.net, 2)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"oneDNN (mkldnn) {'on' if torch.backends.mkldnn.is_available() else 'off'}", flush=True)

    # The same input as `swiftcaffe time`'s DummyData: every pixel 1, every label 0.
    x = torch.ones(args.batch, *nets.INPUT_SHAPE)
    labels = torch.zeros(args.batch, dtype=torch.long)
    what = args.what.split(",")

    if "train" in what:
        net.train()
        optimizer = nets.sgd(net)
        loss_function = torch.nn.CrossEntropyLoss()  # SoftmaxWithLoss, averaged over the batch

        def train_step():
            optimizer.zero_grad()  # set_to_none, PyTorch's default
            loss = loss_function(net(x), labels)
            loss.backward()
            optimizer.step()

        times = timing.measure(train_step, args.warmup, args.iterations)
        timing.report("pytorch", args.net, "train", args.batch, times)

    if "inference" in what:
        net.eval()  # dropout off

        def infer():
            with torch.inference_mode():
                net(x)

        times = timing.measure(infer, args.warmup, args.iterations)
        timing.report("pytorch", args.net, "inference", args.batch, times)


if __name__ == "__main__":
    main()
