#!/usr/bin/env bash
# Times forward+backward of AlexNet and CaffeNet (deploy and train_val) at batch 64
# with `swiftcaffe time`, several runs each, and prints the median of
# "Average Forward-Backward". Results go into benchmarks/BENCHMARKS.md by hand.
#
# Usage: benchmarks/time-reference-nets.sh [runs=3] [iterations=5]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
iterations=${2:-5}

scripts/setup
scripts/build
bin="$(scripts/build --show-bin-path)/swiftcaffe"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for net in bvlc_reference_caffenet bvlc_alexnet; do
  for file in deploy train_val; do
    fwd=(); bwd=(); both=()
    for r in $(seq "$runs"); do
      out=$("$bin" time --model "models/$net/$file.prototxt" --batch 64 --iterations "$iterations" --phase TRAIN)
      fwd+=("$(sed -n 's/^Average Forward pass: \(.*\) ms\./\1/p' <<<"$out")")
      bwd+=("$(sed -n 's/^Average Backward pass: \(.*\) ms\./\1/p' <<<"$out")")
      both+=("$(sed -n 's/^Average Forward-Backward: \(.*\) ms\./\1/p' <<<"$out")")
    done
    f=$(printf '%s\n' "${fwd[@]}" | median)
    b=$(printf '%s\n' "${bwd[@]}" | median)
    t=$(printf '%s\n' "${both[@]}" | median)
    ips=$(awk -v t="$t" 'BEGIN {printf "%.1f", 64 * 1000 / t}')
    echo "$net/$file batch 64: forward $f ms, backward $b ms, forward-backward $t ms, $ips images/s (median of $runs runs x $iterations iterations)"
  done
done
