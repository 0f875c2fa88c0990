#!/usr/bin/env bash
# Fashion-MNIST end to end: installs the data (Debian's dataset-fashion-mnist,
# 60,000 training + 10,000 test images), converts it to LMDB, trains LeNet with
# `swiftcaffe train` and tests the final weights with `swiftcaffe test`.
#
# Usage (from anywhere):
#   examples/fashion_mnist/train.sh                  # LeNet, models/fashion_mnist/lenet_solver.prototxt
#   examples/fashion_mnist/train.sh SOLVER [ARGS...] # another solver; ARGS go to `swiftcaffe train`
#
# SWIFTCAFFE_BIN=PATH uses that swiftcaffe binary instead of building one.
# SWIFTCAFFE_ENGINE=openblas trains on the reference engine (Caffe's numbers to the
# bit); the default here is dnnl, oneDNN's kernels: ≈ 1.55× faster on 10,000
# iterations (benchmarks/BENCHMARKS.md), the same accuracy to a tenth of a point.
# Everything it writes goes under data/fashion_mnist/ (databases, snapshots, the log).
set -euo pipefail
cd "$(dirname "$0")/../.."

solver="${1:-models/fashion_mnist/lenet_solver.prototxt}"
shift $(( $# > 0 ? 1 : 0 ))
data=data/fashion_mnist

# ---- setup, the dataset, the binary, the LMDBs (examples/fashion_mnist/prepare.sh) ------
source examples/fashion_mnist/prepare.sh
prepare_fashion_mnist train.sh

# ---- train ---------------------------------------------------------------------------
stem="$(basename "$solver" .prototxt)"
log="$data/${stem}.log"
echo "train.sh: training with $solver (log: $log)"
start=$(date +%s)
engine="${SWIFTCAFFE_ENGINE:-dnnl}"
"$bin" train --solver "$solver" --engine "$engine" --log "$log" "$@"
end=$(date +%s)
echo "train.sh: training took $((end - start)) s"

# ---- test the final weights ------------------------------------------------------------
net=$(sed -n 's/^net: *"\(.*\)"/\1/p' "$solver")
prefix=$(sed -n 's/^snapshot_prefix: *"\(.*\)"/\1/p' "$solver")
max_iter=$(sed -n 's/^max_iter: *\([0-9]*\).*/\1/p' "$solver")
weights="${prefix}_iter_${max_iter}.caffemodel"
echo "train.sh: testing $weights on the 10,000 test images"
"$bin" test --model "$net" --weights "$weights" --iterations 100 --engine "$engine"
