"""Shared by the peer scripts: time a step after warm-up and print one result line
that benchmarks/compare-peers.sh parses:
    result PEER NET WHAT BATCH median_ms min_ms max_ms n
"""

import argparse
import os
import statistics
import time


def arguments(description):
    """The options every peer timer takes: --net, --batch, --threads, --warmup, --iterations."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--net", required=True, choices=["caffenet", "alexnet"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=5)
    return parser


def measure(step, warmup, iterations):
    """Milliseconds of each of `iterations` calls of `step` after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(peer, net, what, batch, times):
    print(f"result {peer} {net} {what} {batch} {statistics.median(times):.1f} "
          f"{min(times):.1f} {max(times):.1f} {len(times)}", flush=True)
