#!/usr/bin/env bash
# The AlexNet paper's ablations at Fashion-MNIST scale, with the small AlexNet-style net
# (models/fashion_mnist/alexnet_style_train_test.prototxt) and one change per net in
# nets/ (written by make_nets.py; `swiftcaffe compare nets/alexnet.prototxt nets/X.prototxt`
# shows each change):
#
#   tanh                 ReLU vs tanh: iterations to 25% training error (the paper's Figure 1)
#   no_lrn               LRN on/off
#   pool_2x2             overlapping 3x3/2 vs non-overlapping 2x2/2 max pooling
#   no_dropout           dropout on/off (the train/test gap)
#   one_path_half_width  two groups vs one path of half width
#   caffenet             AlexNet's order (LRN before pooling) vs CaffeNet's
#   crop24               random 24x24 crops: centre crop vs 10 crops (test --oversample)
#
# PCA lighting is not among them: it perturbs the three colour channels, and
# Fashion-MNIST has one.
#
# Every net trains with the same solver (alexnet_style_solver.prototxt's recipe) and the
# same seeds on the same data; the results go to examples/ablations/results/
# (results.md: the table, the command and the wall time; the logs; plots and an HTML
# report when this swiftcaffe has the plot and report commands).
#
# Usage (from anywhere):
#   examples/ablations/run.sh                      # every net, ITERS iterations, SEEDS seeds
#   NETS="alexnet crop24" ITERS=20 SEEDS=1 TEST_ITERS=2 RESULTS=data/ablations/smoke \
#     examples/ablations/run.sh                    # a smoke run
# ITERS (default 500, what results/ holds; 3000 for a longer run) iterations per run, SEEDS (default "1701 1702") random seeds,
# NETS (default: all), TEST_ITERS (default 100, the whole test set) test batches,
# RESULTS (default examples/ablations/results) where the results go,
# SWIFTCAFFE_BIN=PATH an already built swiftcaffe,
# BASE_LR (default 0.01) the solver's starting rate (the paper tuned it per net),
# ENGINE (default: swiftcaffe's, openblas) and THREADS (default: one per core) for
# train and test: on a machine other jobs share, THREADS=1 runs several times faster.
set -euo pipefail
cd "$(dirname "$0")/../.."

example=examples/ablations
data=data/ablations
results="${RESULTS:-$example/results}"
iters="${ITERS:-500}"
test_iters="${TEST_ITERS:-100}"   # test batches of 100 images: 100 = the whole test set
seeds="${SEEDS:-1701 1702}"
base_lr="${BASE_LR:-0.01}"
nets="${NETS:-alexnet tanh no_lrn pool_2x2 no_dropout one_path_half_width caffenet crop24}"
say() { echo "run.sh: $*"; }
run_args=()
[ -z "${ENGINE:-}" ] || run_args+=(--engine "$ENGINE")
[ -z "${THREADS:-}" ] || run_args+=(--threads "$THREADS")

# Setup, the dataset, the binary ($bin) and data/fashion_mnist/*_lmdb, which the nets read.
source examples/fashion_mnist/prepare.sh
prepare_fashion_mnist run.sh
mkdir -p "$data" "$results"

# One solver per run: the alexnet_style recipe scaled to ITERS (the rate divided by 10
# at 2/3 of the run), tested at the end on the 10,000 test images.
solver_for() {  # net seed -> solver path
  local net=$1 seed=$2 solver="$data/${1}_seed$2_solver.prototxt"
  cat > "$solver" <<EOF
net: "$example/nets/$net.prototxt"
test_iter: $test_iters
test_interval: $iters
test_initialization: false
base_lr: $base_lr
lr_policy: "step"
gamma: 0.1
stepsize: $(( iters * 2 / 3 ))
momentum: 0.9
weight_decay: 0.0005
display: 50
max_iter: $iters
snapshot: $iters
snapshot_prefix: "$data/${net}_seed$seed"
random_seed: $seed
solver_mode: CPU
EOF
  echo "$solver"
}

# The first displayed iteration whose training accuracy is at least 75% (25% error).
# The --log file's lines start with glog's prefix (I1202 18:20:42.123456 PID swiftcaffe] ).
iterations_to_25() {
  awk '{ sub(/^[IWEF][0-9][0-9][0-9][0-9] [0-9:.]+ [0-9]+ [^ ]+\] /, "") }
       /^Iteration [0-9]+, loss/ { it = $2; sub(",", "", it) }
       /Train net output #[0-9]+: accuracy_train = / { if ($NF + 0 >= 0.75) { print it; found = 1; exit } }
       END { if (!found) print "-" }' "$1"
}

last_value() {  # log, output name -> its value in the final test
  grep "Test net output #[0-9]*: $2 = " "$1" | tail -1 | sed "s/.*: $2 = \([-0-9.e+]*\).*/\1/"
}

last_train_accuracy() {
  grep "Train net output #[0-9]*: accuracy_train = " "$1" | tail -1 | sed 's/.* = //'
}

table="$results/results.md.new"
{
  echo "# Ablations at Fashion-MNIST scale"
  echo
  echo "Command: \`ITERS=$iters SEEDS=\"$seeds\" TEST_ITERS=$test_iters NETS=\"$nets\"${BASE_LR:+ BASE_LR=$BASE_LR}${ENGINE:+ ENGINE=$ENGINE}${THREADS:+ THREADS=$THREADS} examples/ablations/run.sh\`"
  echo
  echo "| net | seed | test accuracy | test loss | train accuracy (last display) | iterations to 25% train error | 10-crop accuracy | wall s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$table"
all_start=$(date +%s)
for net in $nets; do
  for seed in $seeds; do
    solver=$(solver_for "$net" "$seed")
    log="$results/${net}_seed$seed.log"
    say "training $net (seed $seed, $iters iterations)"
    start=$(date +%s)
    "$bin" train --solver "$solver" --log "$log" ${run_args[@]+"${run_args[@]}"} > /dev/null
    wall=$(( $(date +%s) - start ))
    tencrop="-"
    if [ "$net" = crop24 ]; then
      tencrop=$("$bin" test --model "$example/nets/$net.prototxt" --weights "$data/${net}_seed${seed}_iter_$iters.caffemodel" \
                  --iterations $test_iters --oversample ${run_args[@]+"${run_args[@]}"} | tee "$results/${net}_seed${seed}_oversample.txt" \
                | sed -n 's/^accuracy = //p')
    fi
    echo "| $net | $seed | $(last_value "$log" accuracy) | $(last_value "$log" loss) | $(last_train_accuracy "$log") |" \
         "$(iterations_to_25 "$log") | $tencrop | $wall |" >> "$table"
  done
done
{
  echo
  echo "Total wall time: $(( $(date +%s) - all_start )) s on $(nproc) cores ($(uname -m))."
} >> "$table"
mv "$table" "$results/results.md"

# Curves and the HTML report, when this swiftcaffe has them.
has() { "$bin" --help 2>/dev/null | grep -qE "^ +$1( |\$)"; }
if has plot; then
  "$bin" plot "$results"/*_seed*.log -o "$results/curves.svg" || say "plot failed (see above)"
fi
if has report; then
  "$bin" report "$results"/*_seed*.log -o "$results/report.html" || say "report failed (see above)"
fi
cat "$results/results.md"
