#!/usr/bin/env bash
# Fashion-MNIST end to end: installs the data (Debian's dataset-fashion-mnist,
# 60,000 training + 10,000 test images), converts it to LMDB, trains LeNet with
# `swiftcaffe train` and tests the final weights with `swiftcaffe test`.
#
# Usage (from anywhere):
#   examples/fashion_mnist/train.sh                  # LeNet, models/fashion_mnist/lenet_solver.prototxt
#   examples/fashion_mnist/train.sh SOLVER [ARGS...] # another solver; ARGS go to `swiftcaffe train`
#
# Everything it writes goes under data/fashion_mnist/ (databases, snapshots, the log).
set -euo pipefail
cd "$(dirname "$0")/../.."

solver="${1:-models/fashion_mnist/lenet_solver.prototxt}"
shift $(( $# > 0 ? 1 : 0 ))
data=data/fashion_mnist
raw=/usr/share/datasets/fashion-mnist

# ---- setup: build dependencies, the dataset, the binary -----------------------
scripts/setup
if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed"; then
  echo "train.sh: installing Debian's dataset-fashion-mnist"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends dataset-fashion-mnist
fi
scripts/build
bin="$(scripts/build --show-bin-path)/swiftcaffe"

# ---- convert (once) ----------------------------------------------------------------
mkdir -p "$data"
for split in train:train t10k:test; do
  name="${split%%:*}" db="$data/fashion_mnist_${split##*:}_lmdb"
  if [ ! -d "$db" ]; then
    echo "train.sh: converting $name to $db"
    "$bin" convert-mnist "$raw/$name-images-idx3-ubyte.gz" "$raw/$name-labels-idx1-ubyte.gz" "$db"
  fi
done

# ---- train ---------------------------------------------------------------------------
stem="$(basename "$solver" .prototxt)"
log="$data/${stem}.log"
echo "train.sh: training with $solver (log: $log)"
start=$(date +%s)
"$bin" train --solver "$solver" --log "$log" "$@"
end=$(date +%s)
echo "train.sh: training took $((end - start)) s"

# ---- test the final weights ------------------------------------------------------------
net=$(sed -n 's/^net: *"\(.*\)"/\1/p' "$solver")
prefix=$(sed -n 's/^snapshot_prefix: *"\(.*\)"/\1/p' "$solver")
max_iter=$(sed -n 's/^max_iter: *\([0-9]*\).*/\1/p' "$solver")
weights="${prefix}_iter_${max_iter}.caffemodel"
echo "train.sh: testing $weights on the 10,000 test images"
"$bin" test --model "$net" --weights "$weights" --iterations 100
