#!/usr/bin/env bash
# Data-parallel speed on this machine, CaffeNet at effective batch 64 (issue #13 item 8):
# 1 process × 2 threads (batch 64) against 2 ranks × 1 thread (batch 32 each,
# mpirun --bind-to core), and the 2-rank run with --overlap true and false.
# CaffeNet's train_val.prototxt with its two Data layers replaced by one DummyData
# layer (Gaussian images, constant labels; no ImageNet needed), no test passes, no
# snapshots. Prints each run's "Trained …" and "All-reduce: … waited …" lines,
# RUNS times (default 3) in alternation.
#
# Usage: benchmarks/mpi-caffenet-speed.sh [ITERATIONS=6] [ENGINE=openblas]
set -euo pipefail
cd "$(dirname "$0")/.."
iters="${1:-6}"
engine="${2:-openblas}"
runs="${RUNS:-3}"
bin="${SWIFTCAFFE:-.build/release/swiftcaffe}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for batch in 64 32; do
  {
    echo 'name: "CaffeNet"'
    echo 'layer { name: "data" type: "DummyData" top: "data" top: "label"'
    echo "  dummy_data_param { shape { dim: $batch dim: 3 dim: 227 dim: 227 } shape { dim: $batch }"
    echo '    data_filler { type: "gaussian" std: 50 } data_filler { type: "constant" value: 3 } } }'
    # Every top-level layer block except those of type "Data" (and the TEST-only accuracy).
    awk '
      /^layer \{/ { depth = 0; block = ""; inlayer = 1 }
      inlayer {
        block = block $0 "\n"
        n = gsub(/\{/, "{"); m = gsub(/\}/, "}"); depth += n - m
        if (depth == 0) {
          if (block !~ /type: "Data"/ && block !~ /type: "Accuracy"/) printf "%s", block
          inlayer = 0
        }
      }' models/bvlc_reference_caffenet/train_val.prototxt
  } > "$work/caffenet$batch.prototxt"
  cat > "$work/solver$batch.prototxt" <<SOLVER
net: "$work/caffenet$batch.prototxt"
base_lr: 0.001
lr_policy: "fixed"
momentum: 0.9
weight_decay: 0.0005
max_iter: $iters
display: 1
snapshot_after_train: false
snapshot_prefix: "$work/caffenet"
random_seed: 1701
SOLVER
done

mpi=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core)
report() { grep -E '^(Trained|All-reduce)' | sed "s/^/$1: /"; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), engine $engine, $iters iterations"
for r in $(seq "$runs"); do
  "$bin" train --solver "$work/solver64.prototxt" --engine "$engine" --threads 2 | report "run $r, 1 process x 2 threads"
  "${mpi[@]}" "$bin" train --solver "$work/solver32.prototxt" --engine "$engine" --threads 1 --overlap true | report "run $r, 2 ranks x 1 thread, overlap"
  "${mpi[@]}" "$bin" train --solver "$work/solver32.prototxt" --engine "$engine" --threads 1 --overlap false | report "run $r, 2 ranks x 1 thread, no overlap"
done
