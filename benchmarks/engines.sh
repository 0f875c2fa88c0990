#!/usr/bin/env bash
# The two engines side by side: FMA peak of this machine, per-layer times and GFLOP/s
# of CaffeNet's conv1..conv5, and CaffeNet/AlexNet forward+backward (train_val, batch
# 64) and inference (deploy forward, batch 64) with `swiftcaffe time --engine E`.
# Runs alternate openblas, dnnl, openblas, dnnl, … in one process tree; medians.
# The train figure is forward + backward (no solver update); inference is the
# forward pass of deploy.prototxt.
#
# Usage: benchmarks/engines.sh [runs=3] [iterations=3]      (≈ 10 min with 3 × 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
iterations=${2:-3}

scripts/build >/dev/null
bin="$(scripts/build --show-bin-path)/swiftcaffe"
mkdir -p .build/benchmarks
cc -O2 -march=native -pthread benchmarks/fma-peak/fma-peak.c -o .build/benchmarks/fma-peak
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_bf16)$' | sort | tr '\n' ' ')
cores=$(nproc)
echo "CPU: $cpu, $cores cores, flags: $isa; OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}; load: $(cut -d" " -f1-3 /proc/loadavg)"
peak=$(.build/benchmarks/fma-peak "$cores" | tee /dev/stderr | sed -n 's/.*: \([0-9.]*\) GFLOP.*/\1/p')

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/^$1: \(.*\) ms\./\1/p" "$2"; }
layer() { awk -v l="$1" -v p="$2:" '$1==l && $2==p {print $3}' "$3"; }

for r in $(seq "$runs"); do
  for engine in openblas dnnl; do
    for net in bvlc_reference_caffenet bvlc_alexnet; do
      "$bin" time --model "models/$net/train_val.prototxt" --batch 64 --iterations "$iterations" \
        --engine "$engine" > "$out/$engine-$net-train-$r.txt"
      "$bin" time --model "models/$net/deploy.prototxt" --batch 64 --iterations "$iterations" --phase TEST \
        --engine "$engine" > "$out/$engine-$net-deploy-$r.txt"
    done
  done
done

echo
echo "| net, batch 64 | openblas | dnnl | dnnl speed-up |"
echo "| --- | ---: | ---: | ---: |"
for net in bvlc_reference_caffenet bvlc_alexnet; do
  for kind in train deploy; do
    label=$([ "$kind" = train ] && echo "forward+backward (train_val)" || echo "inference (deploy forward)")
    what=$([ "$kind" = train ] && echo "Average Forward-Backward" || echo "Average Forward pass")
    a=$(for r in $(seq "$runs"); do field "$what" "$out/openblas-$net-$kind-$r.txt"; done | median)
    b=$(for r in $(seq "$runs"); do field "$what" "$out/dnnl-$net-$kind-$r.txt"; done | median)
    echo "| $net $label | $a ms | $b ms | $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f×", a / b}') |"
  done
done

# Multiply-adds per image of CaffeNet's convolutions (AlexNet's are the same shapes).
declare -A macs=([conv1]=105415200 [conv2]=223948800 [conv3]=149520384 [conv4]=112140288 [conv5]=74760192)
echo
echo "CaffeNet train_val, batch 64, medians; GFLOP/s against the FMA peak of $peak GFLOP/s"
echo "(backward = data + weights gradients; conv1 has no data gradient)."
echo
echo "| layer | engine | forward ms | GFLOP/s | % peak | backward ms | GFLOP/s | % peak | conversions ms |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for l in conv1 conv2 conv3 conv4 conv5 pool1 norm1 pool2 norm2 pool5 fc6; do
  for engine in openblas dnnl; do
    files=()
    for r in $(seq "$runs"); do files+=("$out/$engine-bvlc_reference_caffenet-train-$r.txt"); done
    f=$(for x in "${files[@]}"; do layer "$l" forward "$x"; done | median)
    b=$(for x in "${files[@]}"; do layer "$l" backward "$x"; done | median)
    c=$(for x in "${files[@]}"; do awk -v l="$l" '$1==l && $2=="engine:" {for (i=1;i<=NF;i++) if ($i=="conversions:") print $(i+1)}' "$x"; done | median)
    m=${macs[$l]:-0}
    if [ "$m" -gt 0 ]; then
      bwd=$([ "$l" = conv1 ] && echo 1 || echo 2)
      stats=$(awk -v m="$m" -v f="$f" -v b="$b" -v k="$bwd" -v p="$peak" 'BEGIN {
        gf = 2 * m * 64 / (f * 1e6); gb = k * 2 * m * 64 / (b * 1e6)
        printf "%s | %.0f | %.0f%% | %s | %.0f | %.0f%%", f, gf, 100 * gf / p, b, gb, 100 * gb / p }')
    else
      stats="$f | | | $b | |"
    fi
    echo "| $l | $engine | $stats | ${c:-0} |"
  done
done
echo
grep "engine:" "$out/dnnl-bvlc_reference_caffenet-train-1.txt" | sed 's/^ */    /'
