#!/usr/bin/env bash
# SwiftCaffe against its peers on CaffeNet and AlexNet in one run: SwiftCaffe
# (engines openblas and dnnl), PyTorch CPU and ONNX Runtime, alternating
# (A B C D A B C D …), several runs; prints a Markdown table (medians, min–max,
# SwiftCaffe's speed-up against each peer) and appends it to benchmarks/BENCHMARKS.md.
#
#   train step   forward + backward + SGD momentum update (+ clearing the gradients):
#                SwiftCaffe: a short `swiftcaffe train` on train_val with DummyData
#                (benchmarks/peers/swiftcaffe_train.py); PyTorch: train mode, step.
#   fwd+bwd      SwiftCaffe's `swiftcaffe time` on train_val ("Average Forward-Backward",
#                no update): the figure Caffe's own `caffe time` gives.
#   inference    SwiftCaffe: `swiftcaffe time --phase TEST` on deploy ("Average Forward
#                pass"); PyTorch: eval + inference_mode; ONNX Runtime: session.run.
# All on the same input (every pixel 1, labels 0), batch $BATCH, $THREADS threads.
#
# PyTorch and ONNX Runtime are peers only, never dependencies of the build or the
# tests; a peer that is not installed is skipped with a line saying so. To install:
#   pip install "torch==2.13.0+cpu" --index-url https://download.pytorch.org/whl/cpu
#   pip install onnxruntime onnx
#
# Environment: RUNS (3), BATCH (64; 10 and 256 work too), ITERS timed iterations per
# measurement (5), WARMUP untimed ones before them (2; `swiftcaffe time` always does
# one), THREADS (all cores), NETS ("caffenet alexnet"), ENGINES ("openblas dnnl"),
# PYTHON (python3), SWIFTCAFFE (a swiftcaffe binary to use instead of building),
# NOTE (a line printed above the table, e.g. "loaded machine"), APPEND (1: append to BENCHMARKS.md; 0: only print).
# Usage: RUNS=3 BATCH=64 benchmarks/compare-peers.sh    (defaults: ≈ 20–25 min on an idle 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
batch=${BATCH:-64}
iters=${ITERS:-5}
warmup=${WARMUP:-2}
threads=${THREADS:-$(nproc)}
nets=${NETS:-caffenet alexnet}
engines=${ENGINES:-openblas dnnl}
py=${PYTHON:-python3}
peers=benchmarks/peers

if [ -n "${SWIFTCAFFE:-}" ]; then
  bin=$SWIFTCAFFE  # a binary built already: no build step
else
  scripts/build >/dev/null
  bin="$(scripts/build --show-bin-path)/swiftcaffe"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
results=$out/results.txt
touch "$results"

declare -A model=([caffenet]=bvlc_reference_caffenet [alexnet]=bvlc_alexnet)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
# VMs often show a generic name ("AMD EPYC"): family and model tell the generation.
cpu="$cpu (family $(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '),\
 model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512_bf16|avx512_vnni)$' | sort | tr '\n' ' ' | sed 's/ $//')
load_start=$(cut -d" " -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

have_torch=0; have_ort=0
if "$py" -c 'import torch' 2>/dev/null; then
  have_torch=1
  torch_version=$("$py" -c 'import torch; print(torch.__version__)')
else
  echo "skip PyTorch: '$py -c \"import torch\"' fails (pip install \"torch==2.13.0+cpu\" --index-url https://download.pytorch.org/whl/cpu)"
fi
if [ "$have_torch" = 1 ] && "$py" -c 'import onnxruntime, onnx' 2>/dev/null; then
  have_ort=1
  ort_version=$("$py" -c 'import onnxruntime; print(onnxruntime.__version__)')
else
  echo "skip ONNX Runtime: needs onnxruntime, onnx and torch (for the weights) in $py (pip install onnxruntime onnx)"
fi

echo "CPU: $cpu, $(nproc) cores, flags: $isa; load: $load_start; batch $batch, $threads threads, $runs runs × $iters iterations"

# Numbers on standard input (one a line) -> "median min max count" (nothing if none).
stats() {
  sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) exit
    print ((NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR], NR }'
}

# `swiftcaffe time` output -> a result line. Forward-backward has one line per
# iteration; the forward pass only its average (min = max = the average).
time_results() { # engine net what file
  local s
  if [ "$3" = inference ]; then
    s=$(sed -n 's/^Average Forward pass: \(.*\) ms\./\1/p' "$4" | stats)
  else
    s=$(sed -n 's/^Iteration: [0-9]* forward-backward time: \(.*\) ms\./\1/p' "$4" | stats)
  fi
  [ -z "$s" ] || echo "result swiftcaffe-$1 $2 $3 $batch $s"
}

keep() { # result lines on standard input -> the results file, and shown as they come
  tee -a "$results" | sed 's/^/  /'
}

run_logged() { # log-file command… : runs, keeps the output, says so when it fails
  if ! "${@:2}" > "$1" 2>&1; then
    echo "  failed: ${*:2} (last lines below)"; tail -5 "$1" | sed 's/^/    /'
  fi
}

for r in $(seq "$runs"); do
  for net in $nets; do
    dir=models/${model[$net]}
    for engine in $engines; do
      echo "run $r/$runs: $net SwiftCaffe $engine"
      log=$out/sc-$engine-$net-$r
      run_logged "$log-train.txt" "$py" $peers/swiftcaffe_train.py --bin "$bin" --net "$net" \
        --model "$dir/train_val.prototxt" --batch "$batch" --engine "$engine" --threads "$threads" \
        --warmup "$warmup" --iterations "$iters"
      grep '^result' "$log-train.txt" | keep || true
      run_logged "$log-fb.txt" "$bin" time --model "$dir/train_val.prototxt" --batch "$batch" \
        --iterations "$iters" --engine "$engine" --threads "$threads"
      time_results "$engine" "$net" fwd+bwd "$log-fb.txt" | keep
      run_logged "$log-inf.txt" "$bin" time --model "$dir/deploy.prototxt" --phase TEST --batch "$batch" \
        --iterations "$iters" --engine "$engine" --threads "$threads"
      time_results "$engine" "$net" inference "$log-inf.txt" | keep
    done
    if [ "$have_torch" = 1 ]; then
      echo "run $r/$runs: $net PyTorch"
      run_logged "$out/torch-$net-$r.txt" "$py" $peers/torch_bench.py --net "$net" --batch "$batch" \
        --threads "$threads" --warmup "$warmup" --iterations "$iters"
      grep '^check' "$out/torch-$net-$r.txt" | sed 's/^/  /' || true
      grep '^result' "$out/torch-$net-$r.txt" | keep || true
    fi
    if [ "$have_ort" = 1 ]; then
      echo "run $r/$runs: $net ONNX Runtime"
      run_logged "$out/ort-$net-$r.txt" "$py" -W ignore $peers/onnxruntime_bench.py --net "$net" \
        --batch "$batch" --threads "$threads" --warmup "$warmup" --iterations "$iters"
      grep '^onnxruntime' "$out/ort-$net-$r.txt" | sed 's/^/  /' || true
      grep '^result' "$out/ort-$net-$r.txt" | keep || true
    fi
  done
done
load_end=$(cut -d" " -f1-3 /proc/loadavg)

# One cell: median of the runs' medians (min–max of every timed iteration), or nothing.
cell() { # peer net what
  local rows m lo hi
  rows=$(awk -v p="$1" -v n="$2" -v w="$3" '$1 == "result" && $2 == p && $3 == n && $4 == w' "$results")
  [ -n "$rows" ] || return 0
  m=$(awk '{print $6}' <<<"$rows" | stats | cut -d" " -f1)
  lo=$(awk '{print $7}' <<<"$rows" | stats | cut -d" " -f2)
  hi=$(awk '{print $8}' <<<"$rows" | stats | cut -d" " -f3)
  awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN {printf "%.0f (%.0f–%.0f)\n", m, lo, hi}'
}
median_of() { cell "$@" | cut -d" " -f1; }
ratio() { # peer-ms swiftcaffe-ms
  if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; else echo "–"; fi
}
engine_absent() { # engine : the text of a missing SwiftCaffe cell
  case " $engines " in *" $1 "*) echo "failed";; *) echo "not run";; esac
}
absent() { # installed? : the text of a missing cell
  [ "$1" = 1 ] && echo "failed" || echo "not installed"
}

table=$out/table.md
{
  echo "### compare-peers, batch $batch ($started)"
  echo
  [ -n "${NOTE:-}" ] && { echo "**${NOTE}**"; echo; }
  echo "- **Machine**: $cpu, $(nproc) cores, flags \`$isa\`; load average $load_start at the start, $load_end at the end."
  echo "- **Software**: $("$bin" --version 2>/dev/null | head -1); PyTorch ${torch_version:-not installed}; ONNX Runtime ${ort_version:-not installed}; OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}."
  echo "- **Command**: \`${OMP_WAIT_POLICY:+OMP_WAIT_POLICY=$OMP_WAIT_POLICY }RUNS=$runs BATCH=$batch ITERS=$iters WARMUP=$warmup THREADS=$threads benchmarks/compare-peers.sh\`"
  echo "  ($runs run(s), each: per net SwiftCaffe $engines, PyTorch, ONNX Runtime, in that order; $warmup warm-up + $iters timed iterations per measurement)."
  echo "- **Cells**: milliseconds per batch, median of the runs' medians (fastest–slowest timed iteration; SwiftCaffe inference: per-run averages, as \`swiftcaffe time\` prints only the average forward)."
  echo "  Speed-up = peer ms ÷ SwiftCaffe ms (> 1: SwiftCaffe faster). Train step includes the SGD update for every column; fwd+bwd (\`swiftcaffe time\`, no update) is SwiftCaffe's only."
  echo
  echo "| net | measurement | SwiftCaffe openblas | SwiftCaffe dnnl | PyTorch | ONNX Runtime | speed-up vs PyTorch (openblas / dnnl) | speed-up vs ONNX Runtime (openblas / dnnl) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for net in $nets; do
    for what in train fwd+bwd inference; do
      label=$(case $what in train) echo "train step";; fwd+bwd) echo "forward+backward";; *) echo inference;; esac)
      a=$(cell swiftcaffe-openblas "$net" "$what"); d=$(cell swiftcaffe-dnnl "$net" "$what")
      am=$(median_of swiftcaffe-openblas "$net" "$what"); dm=$(median_of swiftcaffe-dnnl "$net" "$what")
      t="–"; o="–"; rt="–"; ro="–"
      if [ "$what" != fwd+bwd ]; then
        t=$(cell pytorch "$net" "$what"); tm=$(median_of pytorch "$net" "$what")
        [ -n "$t" ] || t=$(absent "$have_torch")
        rt="$(ratio "$tm" "$am") / $(ratio "$tm" "$dm")"
      fi
      if [ "$what" = inference ]; then
        o=$(cell onnxruntime "$net" "$what"); om=$(median_of onnxruntime "$net" "$what")
        [ -n "$o" ] || o=$(absent "$have_ort")
        ro="$(ratio "$om" "$am") / $(ratio "$om" "$dm")"
      fi
      [ -n "$a" ] || a=$(engine_absent openblas); [ -n "$d" ] || d=$(engine_absent dnnl)
      echo "| $net | $label | $a | $d | $t | $o | $rt | $ro |"
    done
  done
  echo
} > "$table"

echo
cat "$table"
if [ "${APPEND:-1}" = 1 ]; then
  cat "$table" >> benchmarks/BENCHMARKS.md
  echo "(appended to benchmarks/BENCHMARKS.md)"
fi
