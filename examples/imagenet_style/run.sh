#!/usr/bin/env bash
# The ImageNet recipe end to end, on a dozen real photographs instead of 1.2 million:
# JPEGs + a list of labels -> convert-imageset (256x256) -> compute-image-mean --pca
# -> CaffeNet trained with random 227x227 crops, mirroring, mean subtraction and PCA
# lighting -> the trained weights scored twice: from the LMDB (the solver's TEST
# phase) and straight from the JPEGs through an ImageData layer (swiftcaffe test).
#
# The photographs are the twelve in Debian's mate-backgrounds (nature/), installed if
# missing; see README.md for the classes.
#
# Usage (from anywhere):   examples/imagenet_style/run.sh
# Everything it writes goes under data/imagenet_style/. Re-running reuses the
# database and the mean file, and rebuilds them when the image list changed.
# SCRATCH_PATH=DIR builds in DIR instead of .build (swift build --scratch-path).
set -euo pipefail
cd "$(dirname "$0")/../.."

example=examples/imagenet_style
data=data/imagenet_style
photos=/usr/share/backgrounds/mate/nature

say() { echo "run.sh: $*"; }

# ---- setup: build dependencies, the photographs, the binary --------------------------
scripts/setup mate-backgrounds   # the photographs, installed if missing
build=(scripts/build)
[ -z "${SCRATCH_PATH:-}" ] || build+=(--scratch-path "$SCRATCH_PATH")
"${build[@]}"
bin="$("${build[@]}" --show-bin-path)/swiftcaffe"

# ---- the images and their labels ----------------------------------------------------------
# Three classes of four, by what each photograph shows (its file name says which).
classes=(
  "0 FreshFlower Garden TwoWings YellowFlower"   # flower: blossoms in close-up
  "1 Blinds GreenMeadow LadyBird RainDrops"      # leaf: green leaves and grass
  "2 Aqua Dune Storm Wood"                       # scene: water, sky, sand, wood
)
mkdir -p "$data/images"
list_new="$data/list.txt.new"
: > "$list_new"
for line in "${classes[@]}"; do
  read -r label names <<< "$line"
  for name in $names; do
    [ -f "$photos/$name.jpg" ] || { echo "run.sh: error: $photos/$name.jpg is missing" >&2; exit 1; }
    ln -sf "$photos/$name.jpg" "$data/images/$name.jpg"
    echo "$name.jpg $label" >> "$list_new"
  done
done
if cmp -s "$list_new" "$data/list.txt"; then rm "$list_new"; else mv "$list_new" "$data/list.txt"; fi

# ---- convert and average (once; again when the list changed) -----------------------------
db="$data/train_lmdb"
mean="$data/mean.binaryproto"
if [ -d "$db" ] && [ "$data/list.txt" -nt "$db" ]; then
  say "the list changed: rebuilding $db"
  rm -rf "$db"
fi
if [ ! -d "$db" ]; then
  say "converting $(wc -l < "$data/list.txt") images to $db"
  "$bin" convert-imageset --shuffle --resize_height 256 --resize_width 256 \
    "$data/images/" "$data/list.txt" "$db"
fi
if [ ! -f "$mean" ] || [ "$db" -nt "$mean" ]; then
  say "computing the mean image and its colour PCA"
  "$bin" compute-image-mean --pca "$db" "$mean"
fi

# ---- train ------------------------------------------------------------------------------------
solver="$example/solver.prototxt"
log="$data/train.log"
rm -f "$log"
say "training CaffeNet with $solver (log: $log)"
start=$(date +%s)
"$bin" train --solver "$solver" --log "$log"
say "training took $(( $(date +%s) - start )) s"

# ---- score the final weights straight from the JPEGs ----------------------------------------
max_iter=$(sed -n 's/^max_iter: *\([0-9]*\).*/\1/p' "$solver")
weights="$data/caffenet_iter_${max_iter}.caffemodel"
say "testing $weights on the JPEGs (ImageData layer, stage 'images')"
"$bin" test --model "$example/train_val.prototxt" --weights "$weights" --iterations 3 --stage images
