#!/usr/bin/env bash
# Projected scaling efficiency of data-parallel training on N machines from the
# ring all-reduce cost model t = 2(N-1)/N x bytes / bandwidth (latency ignored):
# efficiency = compute / (compute + (1 - overlap) x t), per-machine batch fixed.
#
# Usage: benchmarks/allreduce-projection.sh NAME COMPUTE_MS GRADIENT_MB OVERLAP
#   e.g. benchmarks/allreduce-projection.sh CaffeNet 2764 232.6 0
# COMPUTE_MS: one machine's forward-backward per iteration; OVERLAP: the fraction
# of the all-reduce hidden behind backward (0 = none).
set -euo pipefail
awk -v name="$1" -v compute="$2" -v mb="$3" -v overlap="$4" 'BEGIN {
  printf "| %s, overlap %.0f%% | N | 10 Gbit/s | 25 Gbit/s | 100 Gbit/s |\n", name, overlap * 100
  printf "| --- | ---: | ---: | ---: | ---: |\n"
  split("2 4 8 16 64", ns, " ")
  for (i = 1; i <= 5; i++) {
    n = ns[i]; line = sprintf("| | %d |", n)
    split("10 25 100", gbits, " ")
    for (j = 1; j <= 3; j++) {
      bytes_per_ms = gbits[j] * 1e9 / 8 / 1000
      t = 2 * (n - 1) / n * mb * 1048576 / bytes_per_ms
      eff = compute / (compute + (1 - overlap) * t)
      line = line sprintf(" %.1f ms, %.0f%% |", t, eff * 100)
    }
    print line
  }
}'
