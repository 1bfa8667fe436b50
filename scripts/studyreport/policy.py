"""Training under mixed-precision policies (issue 34): binary16 autocast with and without loss scaling."""
import csv
import math
import os
from collections import OrderedDict


def load_training(path):
    """The rows of a training CSV as dicts; its two `loss_scale` columns (the option, first, and the scale
    after the epoch, last) are kept apart as `loss_scale` and `scale_after`."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        first, last = header.index("loss_scale"), len(header) - 1 - header[::-1].index("loss_scale")
        rows = []
        for values in reader:
            row = dict(zip(header, values))
            row["loss_scale"], row["scale_after"] = values[first], values[last]
            rows.append(row)
    return rows


def policy_training_section(say, results, missing):
    name = "training-policy.csv"
    path = os.path.join(results, name)
    if not os.path.exists(path):
        missing.append(name)
        return
    rows = [r for r in load_training(path) if not r.get("error")]
    say("## Training under precision policies (issue 34)\n")
    say(f"From `results/{name}` (`experiments/training-policy.yaml`): the MLP {rows[0]['widths']} on MNIST, SGD "
        f"(lr {rows[0]['lr']}, momentum {rows[0]['momentum']}), ReLU'(0) = {rows[0]['relu0']}, {rows[0]['epochs']} epochs, "
        "binary32 master weights; under `--policy autocast-cuda-fp16` every dense layer's output and every gradient is "
        "binary16 (docs/PRECISION-POLICIES.md). Loss scale `dynamic` is PyTorch GradScaler's rule (initial 65536, "
        "growth 2 every 2000 steps, backoff 0.5, a step skipped when a gradient is not finite). Final: the last epoch of "
        "each run; skipped steps summed over the runs.\n")
    trials = OrderedDict()
    for r in rows:
        trials.setdefault(r["trial"], []).append(r)
    cells = OrderedDict()
    for t in trials.values():
        last = [r for r in t if r["final"] == "1"]
        if last:
            cells.setdefault((last[-1]["policy"], last[-1]["loss_scale"]), []).append(last[-1])
    say("| policy | loss scale | runs | diverged | final test accuracy, mean ± sd | final train loss, mean | skipped steps | scale after the last epoch | mean seconds per run |")
    say("|---|---|---|---|---|---|---|---|---|")
    for (policy, scale), finals in cells.items():
        accuracies = [float(r["test_accuracy"]) for r in finals if r["diverged"] != "1" and r["test_accuracy"]]
        mean = sum(accuracies) / len(accuracies) if accuracies else float("nan")
        sd = math.sqrt(sum((a - mean) ** 2 for a in accuracies) / (len(accuracies) - 1)) if len(accuracies) > 1 else float("nan")
        losses = [float(r["train_loss"]) for r in finals if r["train_loss"]]
        seconds = sum(sum(float(x["wall_seconds"]) for x in trials[r["trial"]]) for r in finals) / len(finals)
        scales = sorted({r["scale_after"] for r in finals})
        say(f"| {policy} | {scale} | {len(finals)} | {sum(r['diverged'] == '1' for r in finals)} | {mean:.4f} ± {sd:.4f} | "
            f"{sum(losses) / len(losses):.4f} | {sum(int(r['skipped_steps'] or 0) for r in finals)} | {', '.join(scales)} | {seconds:.0f} |")
    say("")
    # Paired seeds: binary16 with the dynamic scale against without, and against bfloat16 without.
    by = {(r["policy"], r["loss_scale"], r["run_seed"]): r for finals in cells.values() for r in finals}
    pairs = [(("autocast-cuda-fp16", "dynamic"), ("autocast-cuda-fp16", "1")), (("autocast-cuda-fp16", "dynamic"), ("autocast-cuda-bf16", "1")),
             (("autocast-cuda-fp16", "1"), ("none", "1"))]
    lines = []
    for a, b in pairs:
        seeds = sorted({k[2] for k in by if k[:2] == a} & {k[2] for k in by if k[:2] == b})
        if not seeds:
            continue
        diffs = [float(by[a + (s,)]["test_accuracy"]) - float(by[b + (s,)]["test_accuracy"]) for s in seeds]
        lines.append(f"| {a[0]}, scale {a[1]} | {b[0]}, scale {b[1]} | {len(seeds)} | "
                     + ", ".join(f"{d:+.4f}" for d in diffs) + " |")
    if lines:
        say("Paired seeds (the same initial θ and batch order): final test accuracy of the first cell minus the second's, per seed.\n")
        say("| cell | against | seeds | differences |")
        say("|---|---|---|---|")
        for line in lines:
            say(line)
        say("")
