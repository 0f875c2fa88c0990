#!/usr/bin/env bash
# Times the solver's parameter update of a CaffeNet training step (61M parameters,
# SGD with momentum and weight decay, models/bvlc_reference_caffenet/solver.prototxt)
# with `swiftcaffe time --solver`: the fused pass (B) against the whole-blob BLAS
# passes it replaced (A, the hidden --separate-update-passes), alternating A B A B.
# Each run is one warm-up and ITERATIONS timed forward/backward/update iterations at
# batch BATCH; the script prints every run's update and diff-zeroing averages and the
# medians. The update's work does not depend on the batch (61M parameters either way),
# so a small batch measures it in less time. Results go into benchmarks/BENCHMARKS.md
# by hand. SWIFTCAFFE=path picks the binary (default: the one scripts/build makes).
#
# Usage: benchmarks/solver-update.sh [runs=3] [iterations=2] [batch=64]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
iterations=${2:-2}
batch=${3:-64}
bin=${SWIFTCAFFE:-"$(scripts/build --show-bin-path)/swiftcaffe"}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A update zero step
for r in $(seq "$runs"); do
  for variant in A B; do
    flags=()
    [ "$variant" = A ] && flags=(--separate-update-passes)
    out=$("$bin" time --model models/bvlc_reference_caffenet/train_val.prototxt --batch "$batch" \
      --iterations "$iterations" --solver models/bvlc_reference_caffenet/solver.prototxt "${flags[@]}")
    u=$(sed -n 's/^Average Update (.*): \(.*\) ms\./\1/p' <<<"$out")
    z=$(sed -n 's/^Average zeroing of the parameter diffs: \(.*\) ms\./\1/p' <<<"$out")
    s=$(sed -n 's/^Average Forward-Backward-Update: \(.*\) ms\./\1/p' <<<"$out")
    echo "run $r $variant: update $u ms, zeroing diffs $z ms, forward-backward-update $s ms (load $(cut -d' ' -f1-3 /proc/loadavg))"
    update[$variant]+="$u "; zero[$variant]+="$z "; step[$variant]+="$s "
  done
done
for variant in A B; do
  name=$([ "$variant" = A ] && echo "separate passes" || echo "fused")
  echo "$variant ($name): update median $(tr ' ' '\n' <<<"${update[$variant]}" | grep . | median) ms," \
    "zeroing median $(tr ' ' '\n' <<<"${zero[$variant]}" | grep . | median) ms," \
    "step median $(tr ' ' '\n' <<<"${step[$variant]}" | grep . | median) ms ($runs runs x $iterations iterations, batch $batch)"
done
