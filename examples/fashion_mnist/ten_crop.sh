#!/usr/bin/env bash
# Centre crop against 10 crops on real data (the AlexNet paper's test-time
# oversampling), and swiftcaffe classify on real images:
#   1. Fashion-MNIST (Debian's dataset-fashion-mnist) converted to LMDB, as train.sh does;
#   2. LeNet trained 1,000 iterations on random 24x24 crops of the 28x28 images, mirrored
#      (models/fashion_mnist/lenet_crop24_solver.prototxt);
#   3. swiftcaffe test --oversample on the 10,000 test images: accuracy and loss of the
#      centre crop and of the average of the ten crops, side by side;
#   4. the first test images written as PNG files and classified with the deploy net
#      (lenet_crop24_deploy.prototxt), centre crop and --oversample, text and --json.
#
# Usage (from anywhere): examples/fashion_mnist/ten_crop.sh
# SWIFTCAFFE_BIN=PATH uses that swiftcaffe binary instead of building one.
# Everything it writes goes under data/fashion_mnist/ (the databases are shared with
# train.sh; the weights are lenet_crop24_iter_1000.caffemodel, the images ten_crop_png/).
set -euo pipefail
cd "$(dirname "$0")/../.."

data=data/fashion_mnist
models=models/fashion_mnist
say() { echo "ten_crop.sh: $*"; }

# Setup, the dataset, the binary ($bin) and the LMDBs, as for train.sh.
source examples/fashion_mnist/prepare.sh
prepare_fashion_mnist ten_crop.sh
raw="$fashion_mnist_raw"

weights="$data/lenet_crop24_iter_1000.caffemodel"
if [ ! -f "$weights" ]; then
  say "training LeNet on random 24x24 crops (log: $data/lenet_crop24.log)"
  start=$(date +%s)
  "$bin" train --solver "$models/lenet_crop24_solver.prototxt" --log "$data/lenet_crop24.log" > /dev/null
  say "training took $(( $(date +%s) - start )) s"
  grep -E "Iteration 1000, Testing|Test net output" "$data/lenet_crop24.log" | tail -3
fi

say "centre crop vs 10 crops on the 10,000 test images"
start=$(date +%s)
"$bin" test --model "$models/lenet_crop24_train_test.prototxt" --weights "$weights" --iterations 100 \
  --oversample | grep -v "^Batch "
say "test --oversample took $(( $(date +%s) - start )) s"

# The first four test images as 28x28 gray PNG files, named by their true class.
pngs="$data/ten_crop_png"
mkdir -p "$pngs"
python3 - "$raw/t10k-images-idx3-ubyte.gz" "$raw/t10k-labels-idx1-ubyte.gz" "$models/labels.txt" "$pngs" <<'PY'
import gzip, struct, sys, zlib
images, labels, names, out = sys.argv[1:5]
classes = [line.strip().replace("/", "-").replace(" ", "-").lower() for line in open(names)]
pixels = gzip.open(images).read()[16:]
truth = gzip.open(labels).read()[8:]
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
for i in range(4):
    rows = b"".join(b"\0" + pixels[i * 784 + 28 * y: i * 784 + 28 * y + 28] for y in range(28))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    open(f"{out}/test{i}_{classes[truth[i]]}.png", "wb").write(png)
PY

classify=("$bin" classify --model "$models/lenet_crop24_deploy.prototxt" --weights "$weights"
          --image-dims 28,28 --scale 0.00390625 --labels "$models/labels.txt")
say "classify, centre crop"
"${classify[@]}" --top 3 "$pngs"/test*.png
say "classify --oversample --json (first image)"
"${classify[@]}" --top 2 --oversample --json "$(ls "$pngs"/test0_*.png)"
