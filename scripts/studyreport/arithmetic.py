"""The headline cell under other arithmetics: paired files, PyTorch CPU's replayed trees, the tensor-core model,
the exact zeros per pass (λ) and the operations that made them."""
import json, os
from collections import OrderedDict
from .data import PAPER_DRAWS, cells, fmt, load, pvalue
from .stats import binomial_test, discordant, fisher, wilson


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


def depth_under_trees(say, path, headline_path, paper):
    """The depth sweep at binary32 with PyTorch's θ under sequential sums and under the `x @ W.t() + b` trees
    (volume-layers-pytorch-cpu.csv; L = 3 from headline-pytorch-cpu.csv), paired within each L."""
    rows = load(path) if os.path.exists(path) else []
    if os.path.exists(headline_path):
        rows += [r for r in load(headline_path) if r["summation"] == "sequential" or r["summation"].endswith("-bias-after.json")]
    groups = cells(rows, ["widths", "summation"])
    depths = sorted({len(w.split(",")) - 2 for (w, _) in groups})
    if not depths:
        return
    say("The depth sweep at binary32 with PyTorch's θ (`volume-layers-pytorch-cpu.csv`, 200 paired draws per depth; L = 3 from "
        "`headline-pytorch-cpu.csv`, 400): PrecisionLab's default sums against PyTorch CPU's `x @ W.t() + b` replayed, each "
        "against the paper (Fisher p) and against each other on the same θ (McNemar p).\n")
    say("| L | sequential | p vs paper | x @ W.t() + b | p vs paper | McNemar p | paper |")
    say("|---|---|---|---|---|---|---|")
    for depth in depths:
        seq = next((g for (w, sm), g in groups.items() if len(w.split(",")) - 2 == depth and sm == "sequential"), None)
        tree = next((g for (w, sm), g in groups.items() if len(w.split(",")) - 2 == depth and sm.startswith("tree:")), None)
        published = paper.get("L", {}).get("32-bit", {}).get(str(depth))
        if seq is None or tree is None or published is None:
            continue
        cols = []
        for g in (seq, tree):
            k, n = sum(r["in_s"] == "1" for r in g), len(g)
            cols += [f"{k}/{n} = {fmt(k / n)}", pvalue(fisher(k, n, round(published * PAPER_DRAWS), PAPER_DRAWS))]
        _, only_tree, only_seq = discordant(tree, seq)
        mcnemar = binomial_test(only_tree, only_tree + only_seq, 0.5) if only_tree + only_seq else 1.0
        say(f"| {depth} | {cols[0]} | {cols[1]} | {cols[2]} | {cols[3]} | {pvalue(mcnemar)} | {published:g} |")
    say("")


def zeros_per_pass(say, path):
    """λ: exact zeros per ReLU layer over one whole pass (zeros-pytorch-cpu.csv, every batch examined), per
    arithmetic, mean over the draws with a 95% normal interval, and the draws with any zero."""
    if not os.path.exists(path):
        return
    say("Exact zeros at ReLU inputs over one whole pass (λ, `results/zeros-pytorch-cpu.csv`: binary32, PyTorch's θ, every batch "
        "examined, the same θ in every row): mean per draw and layer, 95% normal interval, and draws with any zero.\n")
    say("| arithmetic | draws | λ layer 1 | λ layer 2 | λ layer 3 | draws with a zero | in S |")
    say("|---|---|---|---|---|---|---|")
    for (summation,), rows in cells(load(path), ["summation"]).items():
        label = "PrecisionLab (sequential, bias last)" if summation == "sequential" else tree_forward(summation)
        per = [[int(c) for c in r["zeros_per_layer"].split(";")] for r in rows]
        n = len(per)
        parts = []
        for layer in range(len(per[0])):
            xs = [d[layer] for d in per]
            mean = sum(xs) / n
            sd = (sum((x - mean) ** 2 for x in xs) / (n - 1)) ** 0.5 if n > 1 else 0.0
            half = 1.959963984540054 * sd / n ** 0.5
            parts.append(f"{mean:.3f} [{max(mean - half, 0):.3f}, {mean + half:.3f}]")
        anyz = sum(sum(d) > 0 for d in per)
        ins = sum(r["in_s"] == "1" for r in rows)
        say(f"| {label} | {n} | " + " | ".join(parts) + f" | {anyz}/{n} | {ins}/{n} |")
    say("")


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
