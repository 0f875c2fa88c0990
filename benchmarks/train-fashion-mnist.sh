#!/usr/bin/env bash
# Trains a Fashion-MNIST solver RUNS times from scratch and prints, per run and as
# medians, what benchmarks/BENCHMARKS.md records: wall time of `swiftcaffe train`,
# images/s, peak memory (both from its last log line) and the final test accuracy.
#
# Usage: [ENGINES="openblas dnnl"] benchmarks/train-fashion-mnist.sh [RUNS] [SOLVER]
#   RUNS     default 3
#   SOLVER   default models/fashion_mnist/lenet_solver.prototxt
#   ENGINES  default openblas; two engines give their ratio
#
# The first run of examples/fashion_mnist/train.sh installs the data, builds and
# converts; this script reuses what it made (and calls it once if needed).
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-3}"
solver="${2:-models/fashion_mnist/lenet_solver.prototxt}"
bin=.build/release/swiftcaffe
data=data/fashion_mnist

if [ ! -x "$bin" ] || [ ! -d "$data/fashion_mnist_train_lmdb" ] || [ ! -d "$data/fashion_mnist_test_lmdb" ]; then
  echo "benchmark: preparing data and binary with examples/fashion_mnist/train.sh" >&2
  examples/fashion_mnist/train.sh "$solver" >/dev/null
fi

stem="$(basename "$solver" .prototxt)"
# ENGINES="openblas dnnl" trains on each engine in turn, alternating per run, so that
# both see the same minutes of the machine; the last line gives the ratio.
engines=(${ENGINES:-openblas})
declare -A results
for run in $(seq 1 "$runs"); do
  for engine in "${engines[@]}"; do
    log="$data/${stem}.bench-${engine}-${run}.log"
    rm -f "$log"
    "$bin" train --solver "$solver" --engine "$engine" --log "$log" >/dev/null
    # "Trained 10000 iterations in 312.4 s (2048.3 images/s); peak memory 151 MB"
    summary=$(grep -E '(^|\] )Trained ' "$log" | tail -1)
    seconds=$(sed -n 's/.* in \([0-9.]*\) s.*/\1/p' <<< "$summary")
    rate=$(sed -n 's/.*(\([0-9.]*\) images\/s).*/\1/p' <<< "$summary")
    memory=$(sed -n 's/.*peak memory \([0-9]*\) MB.*/\1/p' <<< "$summary")
    accuracy=$(grep 'Test net output #0: accuracy = ' "$log" | tail -1 | sed 's/.*= //')
    echo "run $run, $engine: ${seconds} s, ${rate} images/s, peak ${memory} MB, final accuracy ${accuracy}"
    results[$engine]+="$seconds $rate $memory $accuracy"$'\n'
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column() { printf '%s' "${results[$1]}" | awk -v c="$2" 'NF { print $c }' | median; }
for engine in "${engines[@]}"; do
  echo "median of $runs, $engine: $(column "$engine" 1) s, $(column "$engine" 2) images/s," \
       "peak $(column "$engine" 3) MB, final accuracy $(column "$engine" 4)"
done
if [ "${#engines[@]}" -eq 2 ]; then
  echo "${engines[1]} against ${engines[0]}: $(awk -v a="$(column "${engines[0]}" 1)" -v b="$(column "${engines[1]}" 1)" \
       'BEGIN { printf "%.2f× faster", a / b }')"
fi
