"""The headline cell under other arithmetics: paired files, PyTorch CPU's replayed trees, the tensor-core model,
the exact zeros per pass (λ) and the operations that made them."""
import json, math, os
from collections import OrderedDict
from .data import PAPER_DRAWS, SWEEP_FIXED, axis, cells, fmt, load, p_range, pvalue
from .stats import binomial_test, discordant, fisher, wilson
from .zeros import lambda_cells, zero_rates


PAIRED_ARITHMETIC = ("headline-pytorch-cpu.csv", "headline-theta-grid.csv", "headline-tensor-core.csv")


def tree_forward(summation):
    """What a `tree:FILE` summation computes in the forward, from the file's key (the reveal script writes it)."""
    try:
        with open(summation[len("tree:"):]) as f:
            key = json.load(f).get("key", {})
    except (OSError, ValueError):
        return "a library's trees"
    return f"PyTorch CPU's {key.get('forward', 'nn.Linear')} ({key.get('cpu', '?')}, {key.get('isa', '?')}, MKL {key.get('mkl', '?')}, {key.get('threads', '?')} thread)"


def zeros_per_layer(rows):
    """Exact zeros per ReLU layer summed over the rows."""
    totals = None
    for r in rows:
        counts = [int(c) for c in r["zeros_per_layer"].split(";")]
        totals = counts if totals is None else [a + b for a, b in zip(totals, counts)]
    return totals or []


def arithmetic_label(summation):
    """What a non-sequential summation of a paired arithmetic file computes."""
    if summation.startswith("tree:"):
        return f"computed as {tree_forward(summation)} computes it** (`--summation {summation}`, trees read by scripts/reveal-torch-gemm.py and replayed bit for bit)"
    if summation.startswith("tc:"):
        return f"accumulated as a tensor core does** (`--summation {summation}`: MultiTermAccumulation, docs/NETWORKS.md)"
    return f"summed `{summation}`**"


def arithmetic_cells(say, path, paper, theta):
    """Bullets for a paired file of arithmetics at the headline cell (headline-pytorch-cpu.csv,
    headline-theta-grid.csv, headline-tensor-core.csv): each cell other than sequential against the
    sequential cell on the same θ (McNemar), its zeros per layer, and the paper. Returns (label, (in S,
    draws)) per such cell."""
    replayed = []
    if not os.path.exists(path):
        return replayed
    by_cell = cells(load(path), ["summation"])
    base = by_cell.get(("sequential",))
    for (summation,), rows in by_cell.items():
        if summation == "sequential" or base is None:
            continue
        _, only_tree, only_base = discordant(rows, base)
        p = binomial_test(only_tree, only_tree + only_base, 0.5) if only_tree + only_base else 1.0
        k, n = sum(r["in_s"] == "1" for r in rows), len(rows)
        k0, n0 = sum(r["in_s"] == "1" for r in base), len(base)
        lo, hi = wilson(k, n)
        against = ", ".join(f"{v:g} (p {pvalue(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS))})"
                            for v in (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
        what = "the trees" if summation.startswith("tree:") else f"`{summation}`"
        say(f"- **binary32 with {theta}, {arithmetic_label(summation)}: {k}/{n} = {fmt(k / n)} [{fmt(lo)}, {fmt(hi)}] in S, against "
            f"{k0}/{n0} = {fmt(k0 / n0)} with PrecisionLab's default arithmetic (sequential, bias last) on the same θ: in S under "
            f"{what} only {only_tree}, under sequential sums only {only_base}, exact McNemar p {pvalue(p)}; against the paper's "
            f"{against}. Exact zeros per ReLU layer over the batches examined (until the first difference), summed over the draws: "
            f"{'/'.join(map(str, zeros_per_layer(rows)))} with {what}, {'/'.join(map(str, zeros_per_layer(base)))} sequential.")
        label = tree_forward(summation).split(' (')[0] if summation.startswith("tree:") else summation
        replayed.append((f"{theta} under {label}", (k, n)))
    return replayed


SWEEPS_UNDER_TREES = (("L", "volume-layers-pytorch-cpu.csv", "depth"), ("n", "volume-width-pytorch-cpu.csv", "width"),
                      ("B", "volume-batch-pytorch-cpu.csv", "batch"))


def sweep_under_trees(say, sweep, path, headline_path, paper):
    """One of the paper's sweeps at binary32 with PyTorch's θ under sequential sums and under each library's trees
    the file holds (`x @ W.t() + b` first, then `nn.Linear`; volume-layers-, volume-width- or
    volume-batch-pytorch-cpu.csv; the headline cell from headline-pytorch-cpu.csv), paired within each cell, with λ
    beside each share and each replay's McNemar test against sequential sums on the same θ."""
    if not os.path.exists(path):
        return
    name, title = os.path.basename(path), dict((s, t) for s, _, t in SWEEPS_UNDER_TREES)[sweep]
    rows = load(path)
    trees = sorted({r["summation"] for r in rows if r["summation"].startswith("tree:")},
                   key=lambda t: (not t.endswith("-bias-after.json"), t))
    if os.path.exists(headline_path):
        # A headline trees file read off the same library build with the same forward is the same arithmetic (the
        # sweep's file holds other shapes): its rows join that tree's cells.
        same = {tree_forward(t): t for t in trees}
        for r in load(headline_path):
            if r["summation"] == "sequential":
                rows.append(r)
            elif r["summation"].startswith("tree:") and tree_forward(r["summation"]) in same:
                rows.append(dict(r, summation=same[tree_forward(r["summation"])]))
    groups = cells(rows, ["widths", "batch_size", "summation"])
    values = sorted({axis(g[0])[sweep] for g in groups.values()}, key=int)
    labels = [tree_forward(t).split(" (")[0].replace("PyTorch CPU's ", "") for t in trees]
    say(f"The {title} sweep at binary32 with PyTorch's θ (`{name}`, paired draws within each {sweep}; the headline cell from "
        "`headline-pytorch-cpu.csv`): PrecisionLab's default sums against PyTorch CPU's "
        + " and ".join(f"`{label}`" for label in labels) + " replayed, each against the paper (Fisher p) and each replay "
        "against sequential sums on the same θ (McNemar p); λ and 1 − e^−λ as in the sweep tables below.\n")
    say(f"| {sweep} | sequential | λ | p vs paper | " + " | ".join(f"{label} | λ | p vs paper | McNemar p" for label in labels)
        + " | paper |")
    say("|---|---|---|---|" + "---|---|---|---|" * len(labels) + "---|")
    for x in values:
        here = {sm: g for (w, b, sm), g in groups.items() if axis(g[0])[sweep] == x and all(
            axis(g[0])[other] == fixed for other, fixed in SWEEP_FIXED[sweep].items())}
        seq = here.get("sequential")
        published = paper.get(sweep, {}).get("32-bit", {}).get(x)
        if seq is None or not any(t in here for t in trees):
            continue

        def share(g):
            k, n = sum(r["in_s"] == "1" for r in g), len(g)
            return [f"{k}/{n} = {fmt(k / n)}", lambda_cells(g)[0],
                    pvalue(fisher(k, n, round(published * PAPER_DRAWS), PAPER_DRAWS)) if published is not None else ""]
        cols = share(seq)
        for t in trees:
            tree = here.get(t)
            if tree is None:
                cols += ["not run", "", "", ""]
                continue
            _, only_tree, only_seq = discordant(tree, seq)
            mcnemar = binomial_test(only_tree, only_tree + only_seq, 0.5) if only_tree + only_seq else 1.0
            cols += share(tree) + [pvalue(mcnemar)]
        say(f"| {x} | {' | '.join(cols)} | {'none published' if published is None else format(published, 'g')} |")
    say("")


ZERO_FILES = ("zeros-pytorch-cpu.csv", "zeros-bias-last.csv", "zeros-bias-first.csv", "zeros-fused.csv")


def arithmetic_name(row):
    """A paired zeros file's cell in words: its summation, where the bias enters, fused or not."""
    summation = row["summation"]
    if summation.startswith("tree:"):
        return tree_forward(summation).split(" (")[0] + ", trees replayed"
    name = "sequential" if summation == "sequential" else f"`{summation}`"
    name += f", bias {row.get('bias_order', 'last')}"
    return name + (", fused" if row.get("fused") == "true" else "")


def arithmetic_rows(results, paper):
    """The headline cell under every arithmetic, λ first, as computed rows: per cell of the paired zeros files
    (every batch examined, PyTorch's θ, the same θ for draw i in every file) its name, λ per layer and in all
    (mean, 95% interval), var/mean of the zeros per pass, draws with a zero, in S (k, n, Wilson interval), the
    Poisson share 1 − exp(−λ), the exact McNemar p against sequential sums with the bias last on the same θ
    (None for that cell itself), Fisher's p against the paper's three values (sorted), and draws where being
    in S and having a zero disagree."""
    rows = []
    for name in ZERO_FILES:
        path = os.path.join(results, name)
        if os.path.exists(path):
            rows += [dict(r, file=name) for r in load(path)]
    groups = OrderedDict()
    for r in rows:
        groups.setdefault((r["file"], r["summation"], r.get("bias_order", "last"), r.get("fused", "false")), []).append(r)
    base = next((g for (f, sm, bias, fused), g in groups.items() if sm == "sequential" and bias == "last" and fused == "false"), None)
    published = [paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]]
    out = []
    for g in groups.values():
        per = [[int(c) for c in r["zeros_per_layer"].split(";")] for r in g]
        n = len(per)
        totals = [sum(d) for d in per]
        rates = zero_rates(g)  # every batch examined: each draw's exposure is the whole pass
        total = rates["total"]
        k = sum(r["in_s"] == "1" for r in g)
        mcnemar = None
        if base is not None and g is not base:
            _, only_a, only_b = discordant(g, base)
            mcnemar = binomial_test(only_a, only_a + only_b, 0.5) if only_a + only_b else 1.0
        out.append({
            "name": arithmetic_name(g[0]), "file": g[0]["file"], "n": n, "k": k, "interval": wilson(k, n),
            "layers": rates["layers"], "lambda": total,
            "dispersion": (sum((x - total[0]) ** 2 for x in totals) / (n - 1)) / total[0] if n > 1 and total[0] > 0 else float("nan"),
            "with_zero": sum(t > 0 for t in totals), "poisson": 1 - math.exp(-total[0]), "mcnemar": mcnemar,
            "paper": sorted(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS) for v in published),
            "mismatched": sum((t > 0) != (r["in_s"] == "1") for t, r in zip(totals, g))})
    return out


def zeros_per_pass(say, results, paper):
    """The table of arithmetic_rows, with what it shows."""
    table = arithmetic_rows(results, paper)
    if not table:
        return
    say("### The headline cell under every arithmetic, λ first\n")
    say("Exact zeros at ReLU inputs over one whole pass (λ: mean per draw, 95% normal interval of the mean; Garwood's exact upper bound where no draw met a zero) for every arithmetic at the "
        "headline cell: binary32, paper protocol, PyTorch's θ (`--init torch`), every batch examined (`--all-batches`), "
        "paired draws (draw i is `torch.manual_seed(i)`'s θ in every file: " + ", ".join(sorted({f"`{r['file']}`" for r in table}))
        + "). \"a zero\": draws with at least one exact zero in the pass; \"Poisson\": 1 − exp(−λ), the share those means "
        "predict if zeros fell independently at a rate common to all θ; \"in S\": observed, 95% Wilson interval. McNemar: exact "
        "test against sequential sums with the bias last on the same θ. Paper: Fisher p against .463, .478, .488 (lowest to "
        "highest).\n")
    say("| arithmetic | draws | λ layer 1 | λ layer 2 | λ layer 3 | λ | var/mean | a zero | Poisson | in S | McNemar p | paper p |")
    say("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in table:
        lo, hi = r["interval"]
        say(f"| {r['name']} | {r['n']} | " + " | ".join(f"{m:.3f} [{a:.3f}, {b:.3f}]" for m, a, b in r["layers"])
            + f" | {r['lambda'][0]:.3f} | {r['dispersion']:.2f} | {r['with_zero']}/{r['n']} | {fmt(r['poisson'])} | "
            f"{r['k']}/{r['n']} = {fmt(r['k'] / r['n'])} [{fmt(lo)}, {fmt(hi)}] | "
            + ("(reference)" if r["mcnemar"] is None else pvalue(r["mcnemar"]))
            + f" | {p_range(r['paper'])} |")
    say("")
    mismatched = sum(r["mismatched"] for r in table)
    inside = sum(r["interval"][0] <= r["poisson"] <= r["interval"][1] for r in table)
    dispersion = [r["dispersion"] for r in table]
    say(f"In {'every draw' if mismatched == 0 else f'all but {mismatched} draws'} of this table a draw is in S exactly when its pass "
        "has an exact zero at a ReLU input. The Poisson share 1 − exp(−λ) lies inside the observed share's 95% interval for "
        f"{inside} of the {len(table)} arithmetics (var/mean of the zeros per pass {min(dispersion):.2f} to "
        f"{max(dispersion):.2f}; 1 for a Poisson count)"
        + (": the share in S is what λ predicts.\n" if inside == len(table)
           else ": where it does not, λ varies with θ and the two observables part.\n"))


def zero_operations(say, path):
    """How the exact zeros were made (zero-operations-pytorch-cpu.csv, `--zero-operations`): per arithmetic
    and layer, the zeros recorded, the kinds of their last operations, and the bias's trailing zero bits
    (how coarse its grid) at the zeros."""
    if not os.path.exists(path):
        return
    by_cell = cells(load(path), ["summation"])
    if not by_cell:
        return
    say("How each exact zero was made (`results/zero-operations-pytorch-cpu.csv`, `--zero-operations`: binary32, PyTorch's θ, "
        "every batch examined, paired draws; each zero's last operation recomputed from the layer's input, weight and bias "
        "under the run's arithmetic). Per arithmetic and ReLU layer: zeros recorded, the last operations' kinds, and the "
        "zeros' biases: mean trailing zero bits of the significand (the grid the bias lives on; PyTorch's uniform draws on "
        "fan-in 256 leave at least one) and mean |bias|.\n")
    baseline = {}
    grid = os.path.join(os.path.dirname(path), "bias-grid-pytorch-init.csv")
    if os.path.exists(grid):
        for r in load(grid):
            baseline.setdefault(int(r["layer"]), []).append((float(r["mean_trailing_zeros"]), float(r["mean_abs_bias"])))
        say("Beside them, every bias of the layer over the same θ (`results/bias-grid-pytorch-init.csv`, read off PyTorch by "
            "scripts/bias-grid-baseline.py): where the zeros' biases sit on a coarser grid than the layer's biases at large, the "
            "trailing zero bits at the zeros exceed the layer's. Exploratory at these counts.\n")
    say("| arithmetic | draws | layer | zeros | last operation | bias trailing zero bits at the zeros, mean [95%] | every bias of the layer | mean \\|bias\\| at the zeros | every bias |")
    say("|---|---|---|---|---|---|---|---|---|")
    for (summation,), rows in by_cell.items():
        label = "PrecisionLab (sequential, bias last)" if summation == "sequential" else (
            tree_forward(summation) if summation.startswith("tree:") else summation)
        zeros = [z.split("/") for r in rows if r.get("zero_ops") for z in r["zero_ops"].split(";")]
        truncated = sum(len(r["zero_ops"].split(";")) >= 64 for r in rows if r.get("zero_ops"))
        for layer in sorted({int(z[1]) for z in zeros}):
            mine = [z for z in zeros if int(z[1]) == layer]
            kinds = OrderedDict()
            for z in mine:
                kinds[z[4]] = kinds.get(z[4], 0) + 1
            tz = [int(z[8]) for z in mine]
            mean = sum(tz) / len(tz)
            sd = (sum((t - mean) ** 2 for t in tz) / (len(tz) - 1)) ** 0.5 if len(tz) > 1 else 0.0
            half = 1.959963984540054 * sd / len(tz) ** 0.5
            size = sum(abs(float(z[7])) for z in mine) / len(mine)
            base = baseline.get(layer, [])
            base_tz = f"{sum(b[0] for b in base) / len(base):.2f}" if base else ""
            base_size = f"{sum(b[1] for b in base) / len(base):.4f}" if base else ""
            say(f"| {label} | {len(rows)} | {layer + 1} | {len(mine)} | " + ", ".join(f"{k} {v}" for k, v in kinds.items())
                + f" | {mean:.2f} [{max(mean - half, 0):.2f}, {mean + half:.2f}] | {base_tz} | {size:.4f} | {base_size} |")
        if truncated:
            say(f"| {label} | | | {truncated} draws hit the 64-zero cap | | | | | |")
    say("")
