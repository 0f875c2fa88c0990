#!/usr/bin/env bash
# Two builds of swiftcaffe side by side on the dnnl engine: `swiftcaffe time` on
# CaffeNet and AlexNet (train_val: forward + backward, batch 64), runs alternating
# A B A B … in the same minutes, so that a shared machine's load hits both alike.
# Prints the machine, each run's forward-backward and conversion totals, and per net
# the median per-layer forward/backward times and conversions of A and B.
#
# Usage: benchmarks/ab-time.sh BIN_A BIN_B [runs=3] [iterations=2]
#   e.g. a copy of main's binary as A and "$(scripts/build --show-bin-path)/swiftcaffe" as B.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 runs=${3:-3} iterations=${4:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_bf16)$' | sort | tr '\n' ' ')
echo "CPU: $cpu, $(nproc) cores, flags: $isa; OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}; $(date -u '+%F %H:%M UTC')"

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
total() { sed -n "s/^$1: \([0-9.]*\).*/\1/p" "$2"; }
for net in bvlc_reference_caffenet bvlc_alexnet; do
  for r in $(seq "$runs"); do
    for side in A B; do
      bin=$([ "$side" = A ] && echo "$a" || echo "$b")
      f="$out/$net-$side-$r.txt"
      "$bin" time --model "models/$net/train_val.prototxt" --batch 64 --iterations "$iterations" --engine dnnl > "$f"
      echo "$net $side run $r: forward-backward $(total "Average Forward-Backward" "$f") ms," \
           "conversions $(total "Layout conversions" "$f") ms, load $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
  echo
  echo "$net, medians of $runs runs (ms): layer | A fwd | A bwd | A conversions | B fwd | B bwd | B conversions"
  for l in $(awk '$2=="forward:" {print $1}' "$out/$net-A-1.txt"); do
    row="$l"
    for side in A B; do
      for kind in forward: backward:; do
        row+=" | $(for r in $(seq "$runs"); do
          awk -v l="$l" -v k="$kind" '$1==l && $2==k {print $3}' "$out/$net-$side-$r.txt"; done | median)"
      done
      row+=" | $(for r in $(seq "$runs"); do
        awk -v l="$l" '$1==l && $2=="engine:" {c=0; for (i=3;i<NF;i++) if ($i=="conversions:") c=$(i+1); print c+0}' \
          "$out/$net-$side-$r.txt"; done | median)"
    done
    echo "$row"
  done
  for side in A B; do
    fb=$(for r in $(seq "$runs"); do total "Average Forward-Backward" "$out/$net-$side-$r.txt"; done | median)
    cv=$(for r in $(seq "$runs"); do total "Layout conversions" "$out/$net-$side-$r.txt"; done | median)
    echo "$side: forward-backward $fb ms, conversions $cv ms (medians)"
  done
  echo
done
