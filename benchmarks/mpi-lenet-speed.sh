#!/usr/bin/env bash
# Data-parallel speed on this machine, LeNet on Fashion-MNIST, effective batch 64,
# no test passes: 1 process × 2 threads against 2 ranks × 1 thread (batch 32 each,
# mpirun --bind-to core), and the overlap of the gradient all-reduce with backward:
# the same 2-rank run with --overlap true and false, small buckets (--bucket_mb 0.25:
# ip1's 1.6 MB gradient is a bucket of its own, all-reduced while conv2 and conv1
# run backward). Prints each run's "Trained …" and "All-reduce: … waited …" lines.
#
# Usage: benchmarks/mpi-lenet-speed.sh [ITERATIONS]     (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
iters="${1:-300}"
bin="${SWIFTCAFFE:-.build/release/swiftcaffe}"
data=data/fashion_mnist
[ -d "$data/fashion_mnist_train_lmdb" ] || examples/fashion_mnist/prepare.sh >/dev/null   # installs and converts
for batch in 64 32; do
  awk -v b="$batch" '/batch_size: 64/ { sub(/batch_size: 64/, "batch_size: " b) } { print }' \
    models/fashion_mnist/lenet_train_test.prototxt > "$data/lenet_speed$batch.prototxt"
  sed -e "s|^net: .*|net: \"$data/lenet_speed$batch.prototxt\"|" -e "s|^max_iter: .*|max_iter: $iters|" \
      -e "s|^test_interval: .*|test_interval: 1000000\ntest_initialization: false|" -e "s|^snapshot: .*|snapshot: 0|" \
      -e "s|^snapshot_prefix: .*|snapshot_prefix: \"$data/lenet_speed\"\nsnapshot_after_train: false|" \
      models/fashion_mnist/lenet_solver.prototxt > "$data/lenet_speed${batch}_solver.prototxt"
done
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core)
report() { grep -E '^(Trained|All-reduce)' | sed "s/^/$1: /"; }
"$bin" train --solver "$data/lenet_speed64_solver.prototxt" | report "1 process x 2 threads"
"${mpi[@]}" "$bin" train --solver "$data/lenet_speed32_solver.prototxt" | report "2 ranks x 1 thread, 25 MB bucket"
"${mpi[@]}" "$bin" train --solver "$data/lenet_speed32_solver.prototxt" --bucket_mb 0.25 --overlap true | report "2 ranks, 0.25 MB buckets, overlap"
"${mpi[@]}" "$bin" train --solver "$data/lenet_speed32_solver.prototxt" --bucket_mb 0.25 --overlap false | report "2 ranks, 0.25 MB buckets, no overlap"
