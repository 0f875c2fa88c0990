#!/usr/bin/env bash
# How the thread pools wait, measured: `swiftcaffe time --engine dnnl` on CaffeNet
# (train_val: forward + backward) with each setting, alternating A B C A B C …, and
# the median of each setting's "Average Forward-Backward" and "Layout conversions".
#   A  libgomp's default waiting (OMP_WAIT_POLICY set but empty: libgomp warns and
#      spins ≈ 300,000 rounds after each parallel region; SwiftCaffe leaves it alone)
#   B  OMP_WAIT_POLICY=passive (SwiftCaffe's default when the variable is unset)
#   C  B + OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS's idle threads sleep after 2^4 cycles
#      of sched_yield instead of 2^28)
# Prints the CPU, the load average before and after, and one line per run.
#
# Usage: benchmarks/threads.sh [runs=3] [batch=16] [iterations=2] [engine=dnnl]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
batch=${2:-16}
iterations=${3:-2}
engine=${4:-dnnl}

bin="${SWIFTCAFFE:-$(scripts/build --show-bin-path)/swiftcaffe}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f)$' | sort | tr '\n' ' ')
echo "CPU: $cpu, $(nproc) cores, flags: $isa; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: swiftcaffe time --model models/bvlc_reference_caffenet/train_val.prototxt --batch $batch --iterations $iterations --engine $engine"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/^$1: \(.*\) ms\./\1/p" "$2"; }

run() {  # setting, run number
  local setting=$1 r=$2
  local -a env=(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OPENBLAS_THREAD_TIMEOUT)
  case $setting in
    A) env+=(OMP_WAIT_POLICY=) ;;
    B) env+=(OMP_WAIT_POLICY=passive) ;;
    C) env+=(OMP_WAIT_POLICY=passive OPENBLAS_THREAD_TIMEOUT=4) ;;
  esac
  "${env[@]}" "$bin" time --model models/bvlc_reference_caffenet/train_val.prototxt --batch "$batch" \
    --iterations "$iterations" --engine "$engine" > "$out/$setting-$r.txt" 2> "$out/$setting-$r.err"
  echo "$setting run $r: forward-backward $(field 'Average Forward-Backward' "$out/$setting-$r.txt") ms," \
       "conversions $(field 'Layout conversions' "$out/$setting-$r.txt") ms, load $(cut -d' ' -f1 /proc/loadavg)"
}

for r in $(seq "$runs"); do
  for setting in A B C; do run "$setting" "$r"; done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for setting in A B C; do
  fb=$(for r in $(seq "$runs"); do field 'Average Forward-Backward' "$out/$setting-$r.txt"; done | median)
  conv=$(for r in $(seq "$runs"); do field 'Layout conversions' "$out/$setting-$r.txt"; done | median)
  echo "median $setting: forward-backward $fb ms, layout conversions $conv ms"
done
