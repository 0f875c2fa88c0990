#!/usr/bin/env bash
# Peak resident memory of short training runs (DummyData, the reference solver's rule):
# SwiftCaffe on each engine and, when installed, PyTorch, on CaffeNet and AlexNet.
# Each figure is one fresh process's ru_maxrss. Caffe 1.0 is not installable here;
# benchmarks/BENCHMARKS.md gives its footprint as computed from its allocations.
#
# Usage: benchmarks/peak-memory.sh [batch=64] [steps=4]
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${1:-64} steps=${2:-4}
scripts/build >/dev/null
bin="$(scripts/build --show-bin-path)/swiftcaffe"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "CPU: $cpu, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(date -u '+%F %H:%M UTC')"
echo "Command: benchmarks/peak-memory.sh $batch $steps"
python3 benchmarks/peers/peak_memory.py --bin "$bin" --batch "$batch" --steps "$steps"
