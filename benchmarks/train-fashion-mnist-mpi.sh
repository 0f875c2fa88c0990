#!/usr/bin/env bash
# LeNet on Fashion-MNIST trained data-parallel: `mpirun -np RANKS swiftcaffe train`
# with the shipped solver, each rank reading batch 64/RANKS, so the effective batch
# (64), the data order and the schedule are those of the one-process run
# (benchmarks/train-fashion-mnist.sh, final accuracy 0.9101 with random_seed 1701).
#
# Usage: benchmarks/train-fashion-mnist-mpi.sh [RANKS] [MPIRUN OPTIONS...]
#   RANKS  default 2 (must divide 64); 1 runs the same solver without mpirun
#   e.g.   benchmarks/train-fashion-mnist-mpi.sh 2 --bind-to core   # 2 ranks x 1 thread
# MAX_ITER=n shortens the run (the schedule's steps at 6000/8500 then do not apply).
# SWIFTCAFFE=path picks the binary (default .build/release/swiftcaffe). Prints the
# log's last lines: the final test accuracy and "Trained … images/s".
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="${1:-2}"
shift $(( $# > 0 ? 1 : 0 ))
bin="${SWIFTCAFFE:-.build/release/swiftcaffe}"
data=data/fashion_mnist
if [ ! -d "$data/fashion_mnist_train_lmdb" ] || [ ! -d "$data/fashion_mnist_test_lmdb" ]; then
  examples/fashion_mnist/train.sh >/dev/null   # installs, converts (and trains once)
fi
batch=$(( 64 / ranks ))
net="$data/lenet_mpi${ranks}_train_test.prototxt"
solver="$data/lenet_mpi${ranks}_solver.prototxt"
# The training batch only: the test net keeps batch 100 (the ranks split its 100 batches).
awk -v b="$batch" '/batch_size: 64/ { sub(/batch_size: 64/, "batch_size: " b) } { print }' \
  models/fashion_mnist/lenet_train_test.prototxt > "$net"
sed -e "s|^net: .*|net: \"$net\"|" -e "s|^snapshot_prefix: .*|snapshot_prefix: \"$data/lenet_mpi${ranks}\"|" \
  -e "${MAX_ITER:+s|^max_iter: .*|max_iter: $MAX_ITER|}" \
  models/fashion_mnist/lenet_solver.prototxt > "$solver"
log="$data/lenet_mpi${ranks}.log"
rm -f "$log"
if [ "$ranks" -eq 1 ]; then
  "$bin" train --solver "$solver" --log "$log" >/dev/null
else
  mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$@" "$bin" train --solver "$solver" --log "$log" >/dev/null
fi
grep 'Test net output #0: accuracy' "$log" | tail -1
tail -2 "$log"
