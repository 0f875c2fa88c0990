#!/usr/bin/env bash
# Fashion-MNIST for the examples: what examples/fashion_mnist/train.sh, ten_crop.sh and
# examples/ablations/run.sh need before they train, in one place. They source this
# file and call `prepare_fashion_mnist NAME` (NAME prefixes its messages), which
#   1. runs scripts/setup with Debian's dataset-fashion-mnist (60,000 training and
#      10,000 test images as gzipped IDX files in /usr/share/datasets/fashion-mnist),
#      installing what is missing;
#   2. sets $bin to the swiftcaffe to run: $SWIFTCAFFE_BIN when set (an already built
#      one, e.g. the test build's), else scripts/build's;
#   3. converts both sets to LMDB once, data/fashion_mnist/fashion_mnist_train_lmdb and
#      fashion_mnist_test_lmdb (a failed conversion leaves nothing, so the next run retries).
# $fashion_mnist_raw is the IDX files' folder. The caller's working directory must be
# the repository root.
#
# Run on its own it does just that:   examples/fashion_mnist/prepare.sh

fashion_mnist_raw=/usr/share/datasets/fashion-mnist
fashion_mnist_data=data/fashion_mnist

prepare_fashion_mnist() {
  local name=$1 split part db
  scripts/setup dataset-fashion-mnist
  if [ -n "${SWIFTCAFFE_BIN:-}" ]; then
    bin="$SWIFTCAFFE_BIN"
  else
    scripts/build
    bin="$(scripts/build --show-bin-path)/swiftcaffe"
  fi
  mkdir -p "$fashion_mnist_data"
  for split in train:train t10k:test; do
    part="${split%%:*}" db="$fashion_mnist_data/fashion_mnist_${split##*:}_lmdb"
    if [ ! -d "$db" ]; then
      echo "$name: converting $part to $db"
      "$bin" convert-mnist "$fashion_mnist_raw/$part-images-idx3-ubyte.gz" \
        "$fashion_mnist_raw/$part-labels-idx1-ubyte.gz" "$db"
    fi
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/../.."
  prepare_fashion_mnist prepare.sh
fi
