#!/usr/bin/env bash
# All-reduce cost against gradient size for 2 and 4 ranks on this machine
# (oversubscribed, loopback/shared memory), with Open MPI's own calls: the figures
# of benchmarks/BENCHMARKS.md's "Data-parallel training" section.
#
# Usage: benchmarks/allreduce-cost.sh [RANKS...]     (default: 2 4)
# Sizes: LeNet's gradients (1.7 MB), a 25 MB bucket, fc6 of CaffeNet (151 MB) and all
# of CaffeNet (244 MB per iteration, 61M parameters).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/allreduce_cost
mkdir -p .build
mpicc -O2 -o "$out" benchmarks/allreduce/allreduce_cost.c
ranks=("${@:-2 4}")
for n in ${ranks[*]}; do
  mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$n" "$out" 0.25 1.64 4 25 64 151 244
done
