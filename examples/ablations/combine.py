#!/usr/bin/env python3
"""Combines the runs of examples/ablations/run.sh made one seed per directory
(RESULTS=examples/ablations/results/seedS, one run.sh per seed, side by side on two
cores) into examples/ablations/results/results.md: a summary per net (both seeds,
their mean, the difference from the base net) and every run's row.

    SWIFTCAFFE_BIN=PATH python3 examples/ablations/combine.py [RESULTS_DIR]

With SWIFTCAFFE_BIN (a swiftcaffe that has `plot` and `report`) it also draws one SVG
per ablation (the base net's runs against the variant's, every seed) and one HTML
report of every run with the nets side by side.

The summary reads the logs themselves: the final test of the 10,000 test images, the
training accuracy averaged over the last four displays (one batch of 64 each, with
dropout on), and the first display at 75% training accuracy (the paper's 25% training
error, Figure 1).
"""
import glob
import os
import re
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "results")
order = ["alexnet", "tanh", "no_lrn", "pool_2x2", "no_dropout", "one_path_half_width", "caffenet", "crop24"]


def read_log(path):
    """(final test outputs, [(iteration, train accuracy)], train summary line)"""
    tests, train, it, trained = {}, [], None, ""
    for line in open(path):
        line = re.sub(r"^[IWEF]\d{4} [\d:.]+ \d+ \S+\] ", "", line)  # glog's prefix, in --log files
        m = re.match(r"Iteration (\d+), loss", line)
        if m:
            it = int(m.group(1))
        m = re.search(r"Train net output #\d+: accuracy_train = ([-0-9.e+]+)", line)
        if m and it is not None:
            train.append((it, float(m.group(1))))
        m = re.search(r"Test net output #\d+: (\w+) = ([-0-9.e+]+)", line)
        if m:
            tests[m.group(1)] = float(m.group(2))
        if line.startswith("Trained "):
            trained = line.strip()
    return tests, train, trained


def ten_crop(path):
    """(centre-crop accuracy, 10-crop accuracy) from `test --oversample`'s table"""
    if not os.path.exists(path):
        return None
    for line in open(path):
        m = re.match(r"accuracy\s+([0-9.]+)\s+([0-9.]+)", line)
        if m:
            return float(m.group(1)), float(m.group(2))
    return None


runs = {}  # net -> seed -> dict
for log in sorted(glob.glob(os.path.join(results, "seed*", "*_seed*.log"))):
    m = re.match(r"(.+)_seed(\d+)\.log$", os.path.basename(log))
    net, seed = m.group(1), m.group(2)
    tests, train, trained = read_log(log)
    if "accuracy" not in tests:
        continue  # still training
    last = [a for _, a in train[-4:]]
    to25 = next((i for i, a in train if a >= 0.75), None)
    runs.setdefault(net, {})[seed] = {
        "test": tests["accuracy"], "loss": tests.get("loss"),
        "train": statistics.mean(last) if last else None, "to25": to25,
        "crops": ten_crop(os.path.join(os.path.dirname(log), "%s_seed%s_oversample.txt" % (net, seed))),
        "trained": trained,
    }

if not runs:
    sys.exit("combine.py: no finished run in %s/seed*/" % results)
first_log = sorted(glob.glob(os.path.join(results, "seed*", "*_seed*.log")))[0]
seeds = sorted({s for per in runs.values() for s in per})
nets = [n for n in order if n in runs] + sorted(n for n in runs if n not in order)


def mean(net, key):
    values = [r[key] for r in runs[net].values() if r[key] is not None]
    return statistics.mean(values) if values else None


def pct(x):
    return "-" if x is None else "%.2f" % (100 * x)


out = []
out.append("# Ablations at Fashion-MNIST scale: summary\n")
out.append("Seeds %s, one `run.sh` per seed (see README.md in this folder for the commands and"
           " the wall time). Accuracies in percent of the 10,000 test images; \"train\" is the"
           " training accuracy averaged over the last four displays (iterations %s; one batch of"
           " 64 each, dropout on); \"gap\" is train − test; Δ is the mean test accuracy minus the"
           " base net's.\n" % (", ".join(seeds), ", ".join(str(i) for i, _ in read_log(first_log)[1][-4:])))
head = "| net | " + " | ".join("test s%s" % s for s in seeds) + " | test mean | Δ vs alexnet | test loss mean | train mean | gap | iterations to 25% train error | centre → 10 crops |"
out.append(head)
out.append("| --- |" + " ---: |" * (len(seeds) + 7))
base = mean("alexnet", "test") if "alexnet" in runs else None
for net in nets:
    per = runs[net]
    test_mean, train_mean = mean(net, "test"), mean(net, "train")
    delta = "-" if base is None or net == "alexnet" else "%+.2f" % (100 * (test_mean - base))
    gap = "-" if train_mean is None else "%+.2f" % (100 * (train_mean - test_mean))
    to25 = ", ".join(str(per[s]["to25"]) if s in per and per[s]["to25"] is not None else "-" for s in seeds)
    crops = ", ".join("%s → %s" % (pct(per[s]["crops"][0]), pct(per[s]["crops"][1]))
                      for s in seeds if s in per and per[s]["crops"])
    loss = mean(net, "loss")
    out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        net, " | ".join(pct(per[s]["test"]) if s in per else "-" for s in seeds),
        pct(test_mean), delta, "-" if loss is None else "%.4f" % loss, pct(train_mean), gap, to25, crops or "-"))
out.append("")
out.append("## Every run\n")
for seed_dir in sorted(glob.glob(os.path.join(results, "seed*"))):
    table = os.path.join(seed_dir, "results.md")
    if os.path.exists(table):
        text = open(table).read()
        out.append("### %s (`%s`)\n" % (os.path.basename(seed_dir), os.path.relpath(table, results)))
        out.append(text[text.index("Command:"):].strip() + "\n")
extra = sorted(glob.glob(os.path.join(results, "*", "seed*", "results.md")))
if extra:
    out.append("## Further runs (other solver settings, same nets)\n")
    for table in extra:
        text = open(table).read()
        out.append("### %s\n" % os.path.relpath(os.path.dirname(table), results))
        out.append(text[text.index("Command:"):].strip() + "\n")
out.append("## Training speed (each run's last log line)\n")
for net in nets:
    for s in seeds:
        if s in runs[net]:
            out.append("- %s, seed %s: %s" % (net, s, runs[net][s]["trained"]))
open(os.path.join(results, "results.md"), "w").write("\n".join(out) + "\n")
print("\n".join(out[:len(nets) + 4]))

bin_path = os.environ.get("SWIFTCAFFE_BIN")
if bin_path:
    logs = {net: [os.path.join(results, "seed" + s, "%s_seed%s.log" % (net, s)) for s in seeds if s in runs[net]]
            for net in nets}
    for net in nets:
        if net != "alexnet":
            subprocess.run([bin_path, "plot", *logs["alexnet"], *logs[net], "-o",
                            os.path.join(results, "alexnet_vs_%s.svg" % net)], check=True)
    subprocess.run([bin_path, "report", *[log for net in nets for log in logs[net]],
                    *[arg for net in nets for arg in ("--net", os.path.join(here, "nets", net + ".prototxt"))],
                    "-o", os.path.join(results, "report.html")], check=True)
