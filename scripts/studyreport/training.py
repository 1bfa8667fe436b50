"""Training with various ReLU'(0): outcomes, paired runs and their section."""
import math, os
from collections import OrderedDict
from .conv import nan_check, zero_causes
from .data import cells, fmt, load, pvalue, read_text
from .stats import binomial_test, fisher, mann_whitney_exact


def rule_comparison(say, collapse, outcomes):
    """Per file, model and ReLU'(0) > 0 run under both kink rules: collapsed runs under each with Fisher's test,
    and final test accuracy under each with an exact Mann-Whitney test (diverged runs ranked lowest)."""
    pairs = sorted({k[:4] + (k[5],) for k in collapse if k[4] == "paper" and k[5] > 0
                    and k[:4] + ("scale", k[5]) in collapse})
    if not pairs:
        return
    say("Kink rules side by side (same file, model and ReLU'(0); in a file whose `draws` column says `paired`, run r of "
        "every cell starts from the same weights and sees the same batches; final accuracy over the runs that did not "
        "diverge; the Mann-Whitney test ranks a diverged run below every finished one):\n")
    say("| file | model | BN | ReLU'(0) | collapsed: paper rule | collapsed: scale rule | Fisher p | final accuracy: paper | final accuracy: scale | Mann-Whitney p (exact) |")
    say("|---|---|---|---|---|---|---|---|---|---|")
    for name, model, bn, optimizer, alpha in pairs:
        (a, n1, _), (b, n2, _) = collapse[(name, model, bn, optimizer, "paper", alpha)], collapse[(name, model, bn, optimizer, "scale", alpha)]
        xs, ys = outcomes[(name, model, bn, optimizer, "paper", alpha)], outcomes[(name, model, bn, optimizer, "scale", alpha)]
        def mean(v):
            kept = [x for x in v if x >= 0 and not math.isnan(x)]
            return fmt(sum(kept) / len(kept)) if kept else "(none finished)"
        evaluated = not any(math.isnan(v) for v in xs + ys)  # a run without a final evaluation cannot be ranked
        p = mann_whitney_exact(xs, ys)[1] if evaluated else None
        say(f"| {name} | {model} | {bn} | {alpha:g} | {a}/{n1} | {b}/{n2} | {pvalue(fisher(a, n1, b, n2))} | {mean(xs)} | "
            f"{mean(ys)} | {pvalue(p) if p is not None else ''} |")
    say("")


COLLAPSE_ACCURACY = 0.2  # a run collapsed when it diverged or ended below this test accuracy (chance is 0.1)


def run_outcome(last):
    """(collapsed, final test accuracy or None) of a training run from its last row."""
    if last["diverged"] == "1":
        return True, None
    accuracy = float(last["test_accuracy"]) if last["test_accuracy"] else None
    return accuracy is not None and accuracy < COLLAPSE_ACCURACY, accuracy


def paired_runs(say, paired):
    """Per paired file, one row per cell and one column per run: run r of every cell starts from the same
    weights and sees the same batches, so a run that collapses in every cell, ReLU'(0) = 0 included, is a
    property of its seed, not of ReLU'(0) or the kink rule."""
    for (name, model, bn, optimizer), cells_ in sorted(paired.items()):
        seeds = sorted({s for runs in cells_.values() for s in runs})
        if len(seeds) < 2:
            continue
        say(f"Run by run, `{name}` ({model}, BN {bn}, {optimizer}; paired: the runs in one column start from the same "
            "weights and see the same batches; at ReLU'(0) = 0 both kink rules compute the same values; final test "
            "accuracy, **collapsed** when below 0.2, or the epoch of a divergence; in brackets the share of the last "
            "epoch's ReLU inputs that were exactly 0):\n")
        say("| kink rule | ReLU'(0) | " + " | ".join(f"run {s}" for s in seeds) + " |")
        say("|---|---|" + "---|" * len(seeds))
        collapsed = {s: [0, 0] for s in seeds}
        for (rule, alpha), runs in sorted(cells_.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            entries = []
            for s in seeds:
                last = runs.get(s)
                if last is None:
                    entries.append("")
                    continue
                down, accuracy = run_outcome(last)
                collapsed[s][0] += down
                collapsed[s][1] += 1
                if last["diverged"] == "1":
                    entries.append(f"**diverged (epoch {last['epoch']})**")
                elif accuracy is None:
                    entries.append("(not evaluated)")
                else:
                    entries.append(f"**{fmt(accuracy)}**" if down else fmt(accuracy))
                if last.get("zero_ratio"):
                    entries[-1] += f" ({float(last['zero_ratio']):.2g})"
            say(f"| {rule} | {alpha:g} | " + " | ".join(entries) + " |")
        say("| collapsed cells | | " + " | ".join(f"{c}/{n}" for c, n in (collapsed[s] for s in seeds)) + " |")
        say("")
        # The rules run by run: every ReLU'(0) > 0 and run both rules finished, paired.
        pairs = [(run_outcome(cells_[("paper", alpha)][s]), run_outcome(cells_[("scale", alpha)][s]))
                 for (rule, alpha) in cells_ if rule == "paper" and alpha > 0 and ("scale", alpha) in cells_
                 for s in cells_[("paper", alpha)] if s in cells_[("scale", alpha)]]
        if pairs:
            only_paper = sum(a[0] and not b[0] for a, b in pairs)
            only_scale = sum(b[0] and not a[0] for a, b in pairs)
            p = binomial_test(only_paper, only_paper + only_scale, 0.5) if only_paper + only_scale else 1.0
            both = [(a[1], b[1]) for a, b in pairs if not a[0] and not b[0] and a[1] is not None and b[1] is not None]
            higher_paper = sum(x > y for x, y in both)
            higher_scale = sum(y > x for x, y in both)
            q = binomial_test(higher_paper, higher_paper + higher_scale, 0.5) if higher_paper + higher_scale else 1.0
            say(f"Paired by ReLU'(0) > 0 and run, {len(pairs)} runs under both rules: collapsed under the paper's rule only "
                f"{only_paper}, under the multiplicative rule only {only_scale}, under both "
                f"{sum(a[0] and b[0] for a, b in pairs)} (exact McNemar p {pvalue(p)}). Where neither collapsed ({len(both)}), the "
                f"final accuracy was higher under the paper's rule in {higher_paper} and under the multiplicative rule in "
                f"{higher_scale} (exact sign test p {pvalue(q)}).\n")


def against_zero(say, paired):
    """Per paired file, each run at ReLU'(0) > 0 against the same run (same weights, same batches) at ReLU'(0) = 0:
    how many ended lower, the mean and range of the difference, and per kink rule an exact sign test. With a
    handful of runs per cell this shows the direction of the effect, not its size."""
    for (name, model, bn, optimizer), cells_ in sorted(paired.items()):
        def final(last):  # run_outcome's accuracy; a diverged run ends below every evaluated one
            return float("-inf") if last["diverged"] == "1" else run_outcome(last)[1]
        zero = next((runs for (rule, alpha), runs in cells_.items() if alpha == 0), None)
        if not zero:
            continue
        rows, pooled = [], {}
        for (rule, alpha), runs in sorted(cells_.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            if alpha == 0:
                continue
            diffs = []
            for seed, last in sorted(runs.items()):
                a0, a = (final(zero[seed]), final(last)) if seed in zero else (None, None)
                if a0 is not None and a is not None:
                    diffs.append(0.0 if a == a0 else a - a0)
            if not diffs:
                continue
            lower, higher = sum(d < 0 for d in diffs), sum(d > 0 for d in diffs)
            finite = [d for d in diffs if math.isfinite(d)]
            tally = pooled.setdefault(rule, [0, 0, 0])
            tally[0] += lower
            tally[1] += higher
            tally[2] += len(diffs)
            spread = f"{sum(finite) / len(finite):+.4f} | {min(finite):+.4f} to {max(finite):+.4f}" if finite else " | "
            rows.append(f"| {rule} | {alpha:g} | {len(diffs)} | {lower} | {higher} | {spread} |")
        if not rows:
            continue
        say(f"Against ReLU'(0) = 0, run by run, `{name}` ({model}, BN {bn}, {optimizer}; each run at ReLU'(0) > 0 beside the "
            "run of the same seed at ReLU'(0) = 0, which started from the same weights and saw the same batches; "
            "final test accuracy difference, a diverged run counted lower):\n")
        say("| kink rule | ReLU'(0) | runs paired | lower than at 0 | higher | mean difference | range |")
        say("|---|---|---|---|---|---|---|")
        for r in rows:
            say(r)
        say("")
        say("Pooled over ReLU'(0) > 0: " + "; ".join(
            f"{rule} rule lower in {lo} of {n}, higher in {hi} (exact sign test p "
            f"{pvalue(binomial_test(lo, lo + hi, 0.5) if lo + hi else 1.0)})" for rule, (lo, hi, n) in sorted(pooled.items()))
            + ". The runs at different ReLU'(0) share their seed, so these are not independent across rows.\n")


def alpha_ends(say, finals_by_cell):
    """Per file, model, batch norm and rule run at several ReLU'(0): the mean final accuracy at the smallest
    and the largest value, and the exact zeros per run, in one sentence each (the paper's VGG table compares
    those ends)."""
    arms = {}
    for (name, model, bn, optimizer, rule, alpha), cell in finals_by_cell.items():
        arms.setdefault((name, model, bn, optimizer, rule), {})[alpha] = cell
    lines = []
    for (name, model, bn, optimizer, rule), cells_ in sorted(arms.items()):
        if len(cells_) < 2 or model != "vgg":
            continue
        lo, hi = min(cells_), max(cells_)
        (m0, n0, _), (m1, n1, _) = cells_[lo], cells_[hi]
        zeros = [z for _, _, z in cells_.values()]
        lines.append(f"`{name}`, BN {bn}, {optimizer}, {rule} rule: mean final test accuracy {fmt(m0)} at ReLU'(0) = {lo:g} "
                     f"({n0} run{'s' if n0 != 1 else ''}) and {fmt(m1)} at {hi:g} ({n1}); exact zeros at ReLU inputs "
                     f"{min(zeros):.0f} to {max(zeros):.0f} per run over all its epochs (cell means), the only points where "
                     "ReLU'(0) enters a run's backward passes.")
    if lines:
        say("The ends of the ReLU'(0) range (the paper's VGG11 numbers are quoted above; a handful of runs per cell, so "
            "a difference here is a direction, not an effect size):\n")
        for line in lines:
            say("- " + line)
        say("")


def training_section(say, results, paper_path, missing):
    """Training against ReLU'(0) on conv nets: per cell the runs, divergences (with their epochs), runs
    collapsed to chance, final and best test accuracy; then the kink-rule question as a Fisher test."""
    names = ("conv-training-resnet-10k.csv", "conv-training-resnet.csv", "conv-training-resnet-zeros.csv",
             "conv-training-resnet-bn.csv", "conv-training-vgg.csv")
    present = [n for n in names if os.path.exists(os.path.join(results, n))]
    missing.extend(n for n in names if n not in present)
    if not present:
        return
    say("## Convolutional networks: training against ReLU'(0) (section 4)\n")
    say("**Ours train on a fixed subset of Fashion-MNIST's training set (the full test set), at width 1/4 and for "
        "the epochs in the CSV, the paper's on CIFAR-10 at full width for 200 epochs**: the question is the shape of "
        "the effect (which ReLU'(0) values collapse training, and under which kink rule), not the accuracies. "
        "A run *collapsed* when its loss became NaN or infinite (`diverged`, with the epoch) or its final test "
        "accuracy is below 0.2 (chance is 0.1). Accuracies are over the runs that did not diverge; best is the best "
        "evaluated epoch.\n")
    text = read_text(paper_path)
    quoted = [line for line in text.split("\n## Training", 1)[1].split("\n## ", 1)[0].splitlines()[1:] if line.strip()] \
        if "\n## Training" in text else []
    if quoted:
        say("The paper's numbers (quoted from `paper-results.md`):\n")
        for line in quoted:
            say("> " + line)
        say("")
    say("Exact zeros: ReLU inputs exactly 0 over every training pass of the cell's runs, out of the ReLU inputs evaluated "
        "(where ReLU'(0) acts at all).\n")
    say("| file | model | BN | normalize | optimizer | kink rule | ReLU'(0) | epochs | runs | diverged (epoch) | collapsed | final test accuracy mean ± sd | best mean | exact zeros / ReLU inputs |")
    say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    collapse, outcomes, paired, finals_by_cell = {}, {}, {}, {}
    for name in present:
        rows = [r for r in load(os.path.join(results, name)) if not r.get("error")]
        trials = OrderedDict()
        for r in rows:
            trials.setdefault(r["trial"], []).append(r)
        finished = [t for t in trials.values() if any(r["final"] == "1" for r in t)]
        groups = OrderedDict()
        for t in finished:
            last = [r for r in t if r["final"] == "1"][-1]
            key = tuple(last[k] for k in ("model", "batch_norm", "normalize", "optimizer", "kink_rule", "relu0"))
            groups.setdefault(key, []).append((t, last))
        for key, runs in sorted(groups.items(), key=lambda kv: (kv[0][:5], float(kv[0][5]))):
            diverged = [int(last["epoch"]) for _, last in runs if last["diverged"] == "1"]
            finals = [float(last["test_accuracy"]) for _, last in runs if last["diverged"] != "1" and last["test_accuracy"]]
            bests = [max(float(r["test_accuracy"]) for r in t if r["test_accuracy"]) for t, last in runs
                     if last["diverged"] != "1" and any(r["test_accuracy"] for r in t)]
            collapsed = sum(run_outcome(last)[0] for _, last in runs)
            mean = sum(finals) / len(finals) if finals else float("nan")
            sd = math.sqrt(sum((a - mean) ** 2 for a in finals) / (len(finals) - 1)) if len(finals) > 1 else float("nan")
            epochs = max(int(last["epochs"]) for _, last in runs)
            zeros = sum(int(r["zeros_total"] or 0) for t, _ in runs for r in t)
            inputs = sum(int(r["activation_inputs"] or 0) for t, _ in runs for r in t)
            model, bn, normalize, optimizer, rule, alpha = key
            say(f"| {name} | {model} | {bn} | {normalize} | {optimizer} | {rule} | {alpha} | {epochs} | {len(runs)} | "
                f"{len(diverged)}{' (' + ', '.join(map(str, diverged)) + ')' if diverged else ''} | {collapsed} | "
                f"{fmt(mean)} ± {fmt(sd)} | {fmt(sum(bests) / len(bests)) if bests else ''} | "
                f"{zeros} / {inputs}{f' = {zeros / inputs:.3g}' if inputs else ''} |")
            collapse[(name, model, bn, optimizer, rule, float(alpha))] = (collapsed, len(runs), len(diverged))
            finals_by_cell[(name, model, bn, optimizer, rule, float(alpha))] = (mean, len(finals), zeros / len(runs))
            # Final accuracies for the rule comparison: a diverged run ranks below every finished one.
            outcomes[(name, model, bn, optimizer, rule, float(alpha))] = \
                [-1.0 if last["diverged"] == "1" else float(last["test_accuracy"] or "nan") for _, last in runs]
            for _, last in runs:
                if last.get("draws") == "paired":
                    paired.setdefault((name, model, bn, optimizer), {}).setdefault((rule, float(alpha)), {})[
                        int(last["run_seed"])] = last
    say("")
    for name, series in (("conv-training-resnet-10k", "kink_rule"), ("conv-training-resnet-bn", "kink_rule"),
                         ("conv-training-vgg", "batch_norm")):
        if os.path.exists(os.path.join(results, name + ".svg")):
            say(f"![final test accuracy of each run against ReLU'(0), per {series.replace('_', ' ')}]({name}.svg)  ")
            say(f"`precisionlab plot results/{name}.csv --raw --where final=1 --x relu0 --y test_accuracy --series {series} --kind points "
                "--zoom-y --x-label \"ReLU'(0)\" --y-label \"final test accuracy, one point per run\"` (what `make report` runs: one point per run, its final evaluation; a diverged run has no accuracy and "
                "is counted in the table)\n")
    rule_comparison(say, collapse, outcomes)
    paired_runs(say, paired)
    against_zero(say, paired)
    alpha_ends(say, finals_by_cell)
    # The kink-rule question: collapses at ReLU'(0) >= 0.3 under the paper's constant rule against the multiplicative one.
    inert = os.path.join(results, "conv-zeros-inert.csv")
    if os.path.exists(inert):
        say("Why the unnormalised file hardly tests the rules (`conv-zeros-inert.csv`, graddiff comparing every gradient of "
            "ReLU'(0) = 0 against 1, same model and data, first batches of shuffled passes):\n")
        say("| kink rule | batches | exact zeros per batch (mean) | batches where any gradient differed | rel. difference there (max) |")
        say("|---|---|---|---|---|")
        for (rule,), rows in cells(load(inert), ["kink_rule"], final_only=False).items():
            differing = [float(r["rel_diff"]) for r in rows if r["differs"] == "1"]
            say(f"| {rule} | {len(rows)} | {sum(int(r['zeros']) for r in rows) / len(rows):.0f} | {len(differing)} | "
                f"{max(differing):.3g} |" if differing else f"| {rule} | {len(rows)} | {sum(int(r['zeros']) for r in rows) / len(rows):.0f} | 0 | |")
        say("")
    zero_causes(say, results)
    nan_check(say, results)
    for file in present:
        rules = {}
        for (name, model, bn, optimizer, rule, alpha), (c, n, d) in collapse.items():
            if name == file and model == "resnet" and bn == "false" and alpha >= 0.3:
                a, m, e = rules.get(rule, (0, 0, 0))
                rules[rule] = (a + c, m + n, e + d)
        if "paper" in rules and "scale" in rules:
            (a, n1, d1), (b, n2, d2) = rules["paper"], rules["scale"]
            p = fisher(a, n1, b, n2)
            base = [cnd for (name, model, bn, _, _, alpha), cnd in collapse.items() if name == file and model == "resnet" and bn == "false" and alpha == 0]
            c0, n0 = sum(c for c, _, _ in base), sum(n for _, n, _ in base)
            caveat = (f" **But the ReLU'(0) = 0 runs, where no kink rule acts, collapsed too ({c0}/{n0})**: training at this size does "
                      "not learn without ReLU'(0)'s help either, so these counts cannot tell the rules apart." if c0 else
                      (f" The ReLU'(0) = 0 runs did not collapse (0/{n0})." if n0 else ""))
            # The answer, from the majorities (the paper: every run collapsed from ReLU'(0) = 0.3 on but one at 0.4).
            significance = "significant at 5%" if p < 0.05 else "not significant at 5% with these runs"
            if 2 * a < n1 and 2 * b < n2:
                answer = ("Most runs at ReLU'(0) >= 0.3 learned under both rules, where the paper's collapsed: at this size the "
                          "collapse is reproduced under neither rule, so these runs cannot say whether it comes from the constant rule.")
            elif 2 * a >= n1 and 2 * b >= n2:
                answer = "Most runs collapsed under both rules: the collapse does not come from the constant rule alone."
            elif 2 * a >= n1:
                answer = f"Most runs collapsed under the constant rule and most did not under the multiplicative one ({significance})."
            else:
                answer = f"Most runs collapsed under the multiplicative rule and most did not under the constant one ({significance})."
            say(f"**The kink-rule question, `{file}`** (ResNet without batch norm, ReLU'(0) >= 0.3, pooled over the values run): "
                f"collapsed runs under the paper's constant rule {a}/{n1}, under the multiplicative rule {b}/{n2}; "
                f"two-sided Fisher exact p = {pvalue(p)}. Diverged (NaN or infinite loss) among them: {d1}/{n1} against {d2}/{n2}, "
                f"p = {pvalue(fisher(d1, n1, d2, n2))}.{caveat}{'' if c0 else ' ' + answer}\n")
