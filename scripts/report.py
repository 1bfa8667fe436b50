#!/usr/bin/env python3
"""Writes results/REPORT.md: PrecisionLab's MNIST volume results beside the paper's published numbers.

Every number in the report comes from the committed results CSVs and from the published-numbers page
(experiments/reference/paper-results.md, committed with its source, or --paper PATH): counts, Wilson 95% intervals, two-sided Fisher
exact p-values (the paper's count taken as ratio x 1000 draws). Nothing is typed in.

    python3 scripts/report.py [--paper PATH] [--results DIR] > results/REPORT.md
"""
import argparse, csv, glob, json, math, os, re, sys
from collections import OrderedDict

BITS = {"binary16": "16-bit", "binary32": "32-bit", "binary64": "64-bit"}
PAPER_DRAWS = 1000
# The axes each published sweep holds fixed (its other axis varies).
SWEEP_FIXED = {"L": {"n": "256", "B": "256"}, "n": {"L": "3", "B": "256"}, "B": {"L": "3", "n": "256"}}


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (0.0 if k == 0 else max(0.0, c - h), 1.0 if k == n else min(1.0, c + h))


def fisher(a, n1, b, n2):
    """Two-sided Fisher exact p-value for a/n1 against b/n2 (sum of the tables no more likely than the one seen)."""
    k, n = a + b, n1 + n2
    lo, hi = max(0, k - n2), min(k, n1)
    def logp(x):
        return math.lgamma(n1 + 1) - math.lgamma(x + 1) - math.lgamma(n1 - x + 1) + math.lgamma(n2 + 1) - math.lgamma(k - x + 1) \
            - math.lgamma(n2 - k + x + 1) - (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))
    seen = logp(a)
    return min(1.0, sum(math.exp(logp(x)) for x in range(lo, hi + 1) if logp(x) <= seen + 1e-7))


def mann_whitney(xs, ys):
    """Two-sided Mann-Whitney U test of xs against ys: (U of xs, p) by the normal approximation with the
    tie correction and a continuity correction (fit for the 20+ draws per cell compared here)."""
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    pooled = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    ranks, ties, i = [0.0] * len(pooled), 0.0, 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for t in range(i, j + 1):
            ranks[t] = (i + j) / 2 + 1
        size = j - i + 1
        ties += size ** 3 - size
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, pooled) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return u, 1.0  # every value equal
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return u, min(1.0, math.erfc(max(z, 0) / math.sqrt(2)))


def mann_whitney_exact(xs, ys):
    """Two-sided exact Mann-Whitney test of xs against ys for small samples: (U of xs, p), p the share of
    the C(n1 + n2, n1) equally likely splits of the pooled mid-ranks whose U is at least as far from
    n1·n2/2 as the one seen (ties keep their mid-ranks). With 3 runs against 3 the smallest p is 0.1."""
    from itertools import combinations
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    pooled = sorted(xs + ys)
    def rank(v):
        below = sum(1 for w in pooled if w < v)
        return below + (sum(1 for w in pooled if w == v) + 1) / 2
    ranks = [rank(v) for v in pooled]
    u = sum(rank(v) for v in xs) - n1 * (n1 + 1) / 2
    far = abs(u - n1 * n2 / 2)
    splits = list(combinations(range(n1 + n2), n1))
    hits = sum(1 for c in splits if abs(sum(ranks[i] for i in c) - n1 * (n1 + 1) / 2 - n1 * n2 / 2) >= far - 1e-9)
    return u, hits / len(splits)


def binomial_test(k, n, p0):
    """Two-sided exact binomial test of k successes in n against probability p0 (the outcomes no more
    likely than the one seen)."""
    if p0 <= 0 or p0 >= 1:
        return 1.0 if (k == 0 and p0 <= 0) or (k == n and p0 >= 1) else 0.0
    def logp(x):
        return math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1) + x * math.log(p0) + (n - x) * math.log(1 - p0)
    seen = logp(k)
    return min(1.0, sum(math.exp(logp(x)) for x in range(n + 1) if logp(x) <= seen + 1e-7))


def chi_square_sf(x, dof):
    """P(X >= x) for a chi-square variable with `dof` degrees of freedom: the regularised upper incomplete
    gamma Q(dof/2, x/2), by its series below a + 1 and its continued fraction above (Lentz's method)."""
    a, x = dof / 2, x / 2
    if x <= 0:
        return 1.0
    front = math.exp(-x + a * math.log(x) - math.lgamma(a))
    if x < a + 1:
        term = total = 1 / a
        n = a
        while term > total * 1e-16:
            n += 1
            term *= x / n
            total += term
        return max(0.0, 1 - front * total)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return min(1.0, front * h)


def homogeneity(counts):
    """Chi-square test that several cells (k in S of n each) share one probability: (statistic, dof, p)."""
    k_all, n_all = sum(k for k, _ in counts), sum(n for _, n in counts)
    if k_all in (0, n_all) or len(counts) < 2:
        return 0.0, len(counts) - 1, 1.0
    share = k_all / n_all
    statistic = sum((k - n * share) ** 2 / (n * share) + ((n - k) - n * (1 - share)) ** 2 / (n * (1 - share)) for k, n in counts)
    return statistic, len(counts) - 1, chi_square_sf(statistic, len(counts) - 1)


def paper_tables(path):
    """The volume tables of the published-numbers page: {sweep: {bits: {x: ratio}}}."""
    tables, current = {}, None
    for line in open(path):
        m = re.match(r"\|\s*(layers L|width n|batch B)\b[^|]*\|(.*)\|\s*$", line)
        if m:
            current = {"layers L": "L", "width n": "n", "batch B": "B"}[m.group(1)]
            xs = [c.strip() for c in m.group(2).split("|")]
            tables[current] = {"x": xs}
            continue
        if current and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0].endswith("-bit"):
                values = {}
                for x, v in zip(tables[current]["x"], cells[1:]):
                    try:
                        values[x] = float(v)
                    except ValueError:
                        pass  # "0 (not computed ...)" and the like: not a published count
                tables[current][cells[0]] = values
            continue
        if not line.startswith("|"):
            current = None
    return tables


def conv_paper_table(path):
    """The CIFAR-10 time-to-first-difference table: {(model, bits, bn): "P(k=1), P(k<=10), P(k<=50), mean k, max k"}."""
    table, inside = {}, False
    for line in open(path):
        if line.startswith("## CIFAR-10 volume"):
            inside = True
            continue
        if inside and line.startswith("## ") and table:
            break  # the heading runs over two lines; the next heading ends the table
        if inside and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 8 and cells[1].isdigit():
                model = {"VGG11": "vgg", "ResNet18": "resnet"}.get(cells[0])
                bn = {"no": "false", "yes": "true"}.get(cells[2])
                table[(model, cells[1] + "-bit", bn)] = ", ".join(cells[3:])
    return table


def read_text(path):
    with open(path) as f:
        return f.read()


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# Columns added after results were written, with the value those results had (docs/EXPERIMENTS.md).
LEGACY = {"operands": "same", "operand_rounding": "nearest-even", "batch_norm_arithmetic": "storage", "init": "precisionlab",
          "bias_order": "last"}


def cells(rows, keys, final_only=True):
    """Error-free rows (only each trial's final row unless final_only is False) grouped by the given
    columns, in file order of first appearance (a column a file predates takes its legacy value)."""
    groups = OrderedDict()
    for r in rows:
        if (final_only and r.get("final") != "1") or r.get("error"):
            continue
        groups.setdefault(tuple(r.get(k, LEGACY.get(k)) for k in keys), []).append(r)
    return groups


def axis(row):
    widths = row["widths"].split(",")
    return {"L": str(len(widths) - 2), "n": widths[1], "B": row["batch_size"]}


def published_share(paper, row):
    """The paper's share for the cell of `row` when the paper published one: the paper protocol, a format of its
    tables, accumulation as the paper's GPU did, ReLU after every layer and the whole pass; the depth table for
    n = 256, B = 256 (so the headline cell reads .463), else the width table at L = 3 or the batch table at
    n = 256. None otherwise."""
    if row.get("protocol") != "paper" or row.get("max_batches", "") not in ("", "0") or row.get("data") != "mnist":
        return None
    if row.get("model", "mlp") != "mlp" or row.get("rounding", "nearest-even") != "nearest-even":
        return None
    if row.get("accumulate_gradients", "true") != "true" or row.get("kink_rule", "paper") != "paper":
        return None
    if row.get("operands", "same") != "same" or (row["format"] == "binary16") == (row["accumulate"] == "same"):
        return None
    bits = BITS.get(row["format"])
    x = axis(row)
    for sweep in ("L", "n", "B"):  # in this order, so that the headline cell reads the depth table's .463
        if all(x[a] == v for a, v in SWEEP_FIXED[sweep].items()):
            return paper.get(sweep, {}).get(bits, {}).get(x[sweep])
    return None


def fmt(x, digits=3):
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def pvalue(p):
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def row_for(k, n, published):
    lo, hi = wilson(k, n)
    ours = f"{k}/{n} = {fmt(k / n)} [{fmt(lo)}, {fmt(hi)}]"
    if published is None:
        return ours, "", "", ""
    pk = round(published * PAPER_DRAWS)
    p = fisher(k, n, pk, PAPER_DRAWS)
    return ours, f"{published:g} ({pk}/{PAPER_DRAWS})", pvalue(p), "yes" if p >= 0.05 else "**no**"


def first_difference_ks(rows):
    """k (1-based) per draw; a draw that never differed gets its pass length + 1, above every k (the
    rank test treats it as the largest value, as it is)."""
    return [int(r["first_difference"]) + 1 if r["first_difference"] else int(r["batches_examined"]) + 1 for r in rows]


def median(xs):
    xs = sorted(xs)
    return "" if not xs else xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def peer_runs(path):
    """The PyTorch peer runs logged in `path` (results/torch-bifurcation.log): per output line its format,
    L, n, B, draws and count in S, with the command line above it."""
    runs, command = [], ""
    if not os.path.exists(path):
        return runs
    for line in open(path):
        if line.startswith("$ "):
            command = line[2:].strip()
            continue
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if line.startswith("torch ") and "in_S" in fields:
            runs.append({"format": {"16": "binary16", "32": "binary32", "64": "binary64"}[fields["precision"]],
                         "L": fields["layers"], "n": fields["width"], "B": fields["batch"], "k": int(fields["in_S"]),
                         "runs": int(fields["runs"]), "version": line.split()[1], "command": command})
    return runs


def junction(say, wide_rows, headline_path):
    """Binary32 storage with binary64 sums (ieee:24:127 in volume-precision-wide) against binary32 summing
    in itself at the same cell (headline-paper): which of storage and accumulation makes binary32's zeros."""
    mine = [r for r in wide_rows if r["format"] == "ieee:24:127"]
    if not mine or not os.path.exists(headline_path):
        return
    theirs = [r for r in load(headline_path) if r["format"] == "binary32" and r["summation"] == "sequential"]
    if not theirs:
        return
    k, n = sum(r["in_s"] == "1" for r in mine), len(mine)
    k2, n2 = sum(r["in_s"] == "1" for r in theirs), len(theirs)
    zeros = sum(int(r["batches_with_zeros"] or 0) for r in mine)
    say(f"Binary32 storage with binary64 sums (`ieee:24:127`): {k}/{n} in S, {zeros} batches with an exact zero at a ReLU "
        f"input over those draws' passes; binary32 summing in itself at the same cell (`headline-paper.csv`): {k2}/{n2}; "
        f"Fisher p {pvalue(fisher(k, n, k2, n2))}. The storage format is the same, so binary32's exact zeros (and its S) "
        "come from the rounding inside its dot products (products and sums rounded to binary32), not from storing values in binary32.\n" if k < k2 and fisher(k, n, k2, n2) < 0.05 else
        f"Binary32 storage with binary64 sums (`ieee:24:127`): {k}/{n} in S; binary32 summing in itself at the same cell "
        f"(`headline-paper.csv`): {k2}/{n2}; Fisher p {pvalue(fisher(k, n, k2, n2))}.\n")


def precision_flatness(say, rows):
    """Whether the storage precision matters while the sums stay in binary32: a chi-square test of one share
    across the cells of binary32's range that sum in binary32 (ieee:P:127 below 24 bits, and binary32)."""
    cells_ = {}
    for r in rows:
        if r["format"].endswith(":127") or r["format"] == "binary32":
            cells_.setdefault(r["format"], []).append(r["in_s"] == "1")
    if len(cells_) < 3:
        return
    counts = [(sum(v), len(v)) for v in cells_.values()]
    statistic, dof, p = homogeneity(counts)
    shares = sorted(k / n for k, n in counts)
    text = (f"With binary32 sums and binary32's exponent range, storage precision from p = 8 to 24 ({len(counts)} cells) "
            f"puts between {fmt(shares[0])} and {fmt(shares[-1])} of the draws in S; chi-square test of one share for all "
            f"of them: {statistic:.2f} on {dof} degrees of freedom, p {pvalue(p)}")
    text += (" (no evidence that the storage precision changes it)." if p >= 0.05 else
             " (the shares differ with the storage precision).")
    narrowest = min(cells_, key=lambda f: significand_bits(f))
    rest = [(sum(v), len(v)) for f, v in cells_.items() if f != narrowest]
    if p < 0.05 and len(rest) >= 3:
        statistic, dof, p = homogeneity(rest)
        k, n = sum(cells_[narrowest]), len(cells_[narrowest])
        text += (f" Without the narrowest, `{narrowest}` ({k}/{n}; a split chosen after seeing the data, so exploratory): {statistic:.2f} on {dof} degrees of freedom, p {pvalue(p)}"
                 + (" (no evidence of a difference among the others)." if p >= 0.05 else "."))
    say(text + "\n")


def significand_bits(name):
    """Significand bits of a format name of the precision sweeps (ieee:P:EMAX, binary32, binary64)."""
    return {"binary32": 24, "binary64": 53}.get(name) or int(name.split(":")[1])


def exponent_range(say, precision_rows, headline_path):
    """binary16 (p = 11, exponents up to 15) against its neighbours in precision with binary32's range
    (ieee:10:127, ieee:12:127) at the same cell: does binary16's range or its precision put its draws in S?"""
    if not os.path.exists(headline_path):
        return
    half = [r for r in load(headline_path) if r["format"] == "binary16" and r["accumulate"] == "binary32"]
    neighbours = [(f, [r for r in precision_rows if r["format"] == f]) for f in ("ieee:10:127", "ieee:12:127")]
    neighbours = [(f, rows) for f, rows in neighbours if rows]
    if not half or not neighbours:
        return
    k, n = sum(r["in_s"] == "1" for r in half), len(half)
    parts = []
    below = True
    for f, rows in neighbours:
        k2, n2 = sum(r["in_s"] == "1" for r in rows), len(rows)
        p = fisher(k2, n2, k, n)
        below = below and k2 / n2 < k / n and p < 0.05
        parts.append(f"`{f}` {k2}/{n2} (Fisher p against binary16 {pvalue(p)})")
    text = (f"binary16 (p = 11, exponents up to 15) at the same cell, binary32 accumulation (`headline-paper.csv`): {k}/{n} in S; "
            f"with binary32's exponent range and one bit less or more: " + ", ".join(parts) + ".")
    if below:
        text += (" Both neighbours are well below binary16, so what puts binary16's draws in S is its narrow exponent range "
                 "(a result of magnitude at most 2^-25 rounds to zero), not its precision.")
    say(text + "\n")


def vacuous_differences(say, keys, groups):
    """Per cell, the draws counted in S whose first compared gradient (ReLU'(0) = A) was all zeros at the first
    difference (`grad_l2` = 0, so `rel_diff` is NaN): the comparison there says only that the other gradient was
    not zero, not that ReLU'(0) moved a gradient the network had."""
    lines = []
    for key, group in groups.items():
        in_s = [r for r in group if r["in_s"] == "1"]
        zero = [r for r in in_s if r.get("grad_l2") not in (None, "") and float(r["grad_l2"]) == 0]
        if zero:
            lines.append(f"- {', '.join(key)}: {len(zero)} of its {len(in_s)} draws in S differ from an all-zero gradient "
                         "(`grad_l2` = 0, `rel_diff` NaN): the gradient had underflowed to zero, so their being in S is vacuous.")
    if lines:
        say("Draws in S by a vacuous comparison:\n")
        for line in lines:
            say(line)
        say("")


def discordant(rows_a, rows_b):
    """Paired draws (matched by run seed): the run seeds in both, and how many are in S under a only, under b only."""
    in_a = {r["run_seed"]: r["in_s"] == "1" for r in rows_a}
    in_b = {r["run_seed"]: r["in_s"] == "1" for r in rows_b}
    both = in_a.keys() & in_b.keys()
    return both, sum(in_a[s] and not in_b[s] for s in both), sum(in_b[s] and not in_a[s] for s in both)


def paired_comparisons(say, keys, groups):
    """Under a table of paired draws (each θ run in every cell, `draws` = paired): for every two cells that
    differ in one option only, the exact McNemar test on the draws both ran (the two-sided binomial test of
    the draws in S under one cell only against those in S under the other only)."""
    if not all(r.get("draws") == "paired" for group in groups.values() for r in group):
        return
    lines = []
    items = list(groups.items())
    for i, (key_a, rows_a) in enumerate(items):
        for key_b, rows_b in items[i + 1:]:
            differing = [k for k, a, b in zip(keys, key_a, key_b) if a != b]
            if len(differing) != 1:
                continue
            both, only_a, only_b = discordant(rows_a, rows_b)
            name = differing[0]
            a, b = key_a[keys.index(name)], key_b[keys.index(name)]
            rest = ", ".join(f"{k} {v}" for k, v in zip(keys, key_a) if k != name)
            p = binomial_test(only_a, only_a + only_b, 0.5) if only_a + only_b else 1.0
            lines.append(f"- {name} {a} against {b}" + (f" ({rest})" if rest else "") + f", {len(both)} draws run under both: "
                         f"in S under {a} only {only_a}, under {b} only {only_b}; exact McNemar p {pvalue(p)}.")
    if lines:
        say("Paired comparisons (the same θ under both cells):\n")
        for line in lines:
            say(line)
        say("")


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


def cpu_peer_cells(paper_path):
    """The PyTorch CPU cells listed in paper-results.md ("... gives at 32 bits: L=3 87/200, L=1 14/100, ..."):
    (sweep, value, in S, draws) each."""
    text = read_text(paper_path)
    line = re.search(r"CPU run of the same protocol.*?gives at 32 bits:(.*?)(?:—|\n\n)", text, re.S)
    if not line:
        return []
    return [(axis_, value, int(k), int(n)) for axis_, value, k, n in re.findall(r"\b([LnB])=(\d+) (\d+)/(\d+)", line.group(1))]


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


def verdict(say, results, paper):
    """The verdict at 32 bits, computed from the paired arithmetic files: which arithmetic reproduces
    PyTorch's CPU (the bit-exact tests), which reproduces the paper cell by cell, the grid argument and
    its test, the tensor-core model, and what stays unexplained."""
    pytorch = os.path.join(results, "headline-pytorch-cpu.csv")
    if not os.path.exists(pytorch):
        return
    say("## Verdict at 32 bits\n")
    say("Computed from the paired files below (each line's numbers are in the sections that follow, with their tests).\n")
    say("- **PyTorch's CPU arithmetic is reproduced bit for bit** by replaying the summation trees read off PyTorch "
        "(`--summation tree:FILE`, `--init torch`): every dense layer's output on the first 20 MNIST batches and every weight "
        "gradient on 4 of them equal PyTorch's own (Tests/ExperimentsTests/TorchArithmeticTests.swift, SHA-256s written by "
        "PyTorch 2.13 on this AMD EPYC, one thread). Another CPU or thread count has other trees.")
    # Which arithmetic reproduces the paper, cell by cell (depth sweep with PyTorch's θ).
    rows = load(pytorch)
    layers = os.path.join(results, "volume-layers-pytorch-cpu.csv")
    if os.path.exists(layers):
        rows += load(layers)
    groups = cells(rows, ["widths", "summation"])
    verdicts = OrderedDict()
    for (widths, summation), g in groups.items():
        depth = str(len(widths.split(",")) - 2)
        v = paper.get("L", {}).get("32-bit", {}).get(depth)
        if v is None:
            continue
        k, n = sum(r["in_s"] == "1" for r in g), len(g)
        label = "PrecisionLab's sequential sums" if summation == "sequential" else tree_forward(summation).split(" (")[0]
        verdicts.setdefault(label, []).append((int(depth), k, n, v, fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS)))
    for label, cells_ in verdicts.items():
        cells_.sort()
        off = [c for c in cells_ if c[4] < 0.05]
        text = "; ".join(f"L = {d}: {k}/{n} against {v:g}, p {pvalue(p)}" for d, k, n, v, p in cells_)
        say(f"- **With PyTorch's θ, {label}**: " + (f"every one of its {len(cells_)} depth cells agrees with the paper" if not off
                                                    else f"{len(off)} of its {len(cells_)} depth cell{'s' if len(cells_) > 1 else ''} "
                                                    f"differ{'s' if len(off) == 1 else ''} from the paper at p < 0.05")
            + f" ({text}).")
    # The grid argument: the same arithmetic on PrecisionLab's θ.
    grid = os.path.join(results, "headline-theta-grid.csv")
    if os.path.exists(grid):
        by = cells(load(grid), ["summation"])
        base = by.get(("sequential",))
        for (summation,), g in by.items():
            if summation == "sequential" or base is None:
                continue
            _, only_a, only_b = discordant(g, base)
            p = binomial_test(only_a, only_a + only_b, 0.5) if only_a + only_b else 1.0
            say(f"- **The grid argument, tested**: an exact zero is fl(S) = −b, so its rate is about density(S at −b) × ulp(b) "
                "whatever order made S, unless the order makes S land on the grid b lives on more often. PyTorch's θ lives on a "
                f"coarse grid (fan-in 256: multiples of 2⁻²⁷); PrecisionLab's 53-bit draws use every bit. With PrecisionLab's θ the "
                f"same {tree_forward(summation).split(' (')[0]} arithmetic gives {sum(r['in_s'] == '1' for r in g)}/{len(g)} against "
                f"{sum(r['in_s'] == '1' for r in base)}/{len(base)} with sequential sums on the same θ (McNemar p {pvalue(p)})"
                + (": no evidence that the order matters off PyTorch's grid, as the argument says." if p >= 0.05 else
                   ": the order matters on PrecisionLab's θ too, which the argument does not predict."))
    # How the zeros were made (trailing zero bits of the bias at each zero, per arithmetic).
    ops = os.path.join(results, "zero-operations-pytorch-cpu.csv")
    if os.path.exists(ops):
        by = cells(load(ops), ["summation"])
        parts = []
        for (summation,), g in by.items():
            tz = [int(z.split("/")[8]) for r in g if r.get("zero_ops") for z in r["zero_ops"].split(";")]
            if tz:
                label = "sequential" if summation == "sequential" else tree_forward(summation).split(" (")[0]
                parts.append(f"{label} {len(tz)} zeros, mean {sum(tz) / len(tz):.2f} trailing zero bits in the bias")
        if parts:
            say("- **How the zeros were made** (`zero-operations-pytorch-cpu.csv`, every zero's last operation): " + "; ".join(parts)
                + " (per layer in the table below).")
    # The GPU's arithmetic: the tensor-core model.
    tc = os.path.join(results, "headline-tensor-core.csv")
    if os.path.exists(tc):
        by = cells(load(tc), ["summation"])
        base = by.get(("sequential",))
        for (summation,), g in by.items():
            if summation == "sequential" or base is None:
                continue
            k, n = sum(r["in_s"] == "1" for r in g), len(g)
            _, only_a, only_b = discordant(g, base)
            p = binomial_test(only_a, only_a + only_b, 0.5) if only_a + only_b else 1.0
            worst = max(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS) for v in
                        (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
            best = min(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS) for v in
                       (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
            say(f"- **A GPU in TF32 mode, modelled** (`{summation}`, the A100 tensor core's accumulation of TF32 products, PyTorch's θ): "
                f"{k}/{n} = {fmt(k / n)} in S, against {sum(r['in_s'] == '1' for r in base)}/{len(base)} with the same TF32 products "
                f"summed sequentially (McNemar p {pvalue(p)}; in S under one only: {only_a} and {only_b}); against the paper's three "
                f"values Fisher p {pvalue(best)} to {pvalue(worst)}"
                + (". TF32 mode as modelled here does not reproduce the paper's share at 32 bits, whichever way its products are summed."
                   if worst < 0.05 and all(fisher(sum(r['in_s'] == '1' for r in base), len(base), round(v * PAPER_DRAWS), PAPER_DRAWS) < 0.05
                                           for v in (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
                   else "."))
    say("- **Unexplained**: which arithmetic the paper's GPU ran. A GPU GEMM adds the bias in its epilogue (after the sum, the "
        "placement that reaches the paper's share on this CPU); its summation order (tensor-core groups, cuBLAS's K blocking, "
        "split-K) is not read here. The test that would settle it: read cuBLAS's trees on the paper's kind of GPU with FPRev-style "
        "probes, as scripts/reveal-torch-gemm.py does for MKL, and replay them.\n")


def cochran_q(table):
    """Cochran's Q test for k paired binary outcomes (rows: subjects, columns: conditions); returns (Q, p)
    with k - 1 degrees of freedom."""
    k = len(table[0])
    columns = [sum(row[j] for row in table) for j in range(k)]
    rows = [sum(row) for row in table]
    total = sum(rows)
    denominator = k * total - sum(r * r for r in rows)
    if denominator == 0:
        return 0.0, 1.0
    q = (k - 1) * (k * sum(c * c for c in columns) - total * total) / denominator
    return q, chi_square_sf(q, k - 1)


def batch_paired(say, path, independent_path):
    """The batch sweep with paired θ (volume-batch-paired.csv) beside the independent one (volume-batch.csv):
    is the spread across batch sizes sampling, or does the batch size change which θ are in S?"""
    if not os.path.exists(path):
        return
    rows = [r for r in load(path) if r["final"] == "1" and not r["error"]]
    by_seed = OrderedDict()
    sizes = sorted({int(r["batch_size"]) for r in rows})
    for r in rows:
        by_seed.setdefault(r["run_seed"], {})[int(r["batch_size"])] = r
    complete = {seed: cell for seed, cell in by_seed.items() if len(cell) == len(sizes)}
    if not complete:
        return
    table = [[int(cell[b]["in_s"] == "1") for b in sizes] for cell in complete.values()]
    q, p = cochran_q(table)
    every = sum(all(t) for t in table)
    none = sum(not any(t) for t in table)
    mixed = [(seed, cell) for (seed, cell), t in zip(complete.items(), table) if any(t) and not all(t)]
    counts = ", ".join(f"B = {b}: {sum(t[i] for t in table)}" for i, b in enumerate(sizes))
    say(f"**The batch sweep with paired θ** (`results/volume-batch-paired.csv`: binary32, paper protocol, the same {len(complete)} θ "
        f"at every batch size): in S {counts} of {len(complete)}. In S at every batch size: {every}; at none: {none}; at some "
        f"only: {len(mixed)}. Cochran's Q across the batch sizes {q:.2f} on {len(sizes) - 1} degrees of freedom, p {pvalue(p)}.")
    if os.path.exists(independent_path):
        ind = cells([r for r in load(independent_path) if r["format"] == "binary32"], ["batch_size"])
        if ind:
            stat, _, pp = homogeneity([(sum(r["in_s"] == "1" for r in g), len(g)) for g in ind.values()])
            say(f"The independent sweep (`volume-batch.csv`, binary32, its own θ per cell): "
                + ", ".join(f"B = {b}: {sum(r['in_s'] == '1' for r in g)}/{len(g)}" for (b,), g in ind.items())
                + f"; χ² homogeneity {stat:.2f}, p {pvalue(pp)}.")
    # The same zero should decide at every batch size: the first differing batches, as sample ranges
    # [d·B, (d + 1)·B), share a sample.
    inside = [cell for cell, t in zip(complete.values(), table) if all(t)]
    common = 0
    for cell in inside:
        low = max(int(cell[b]["first_difference"]) * b for b in sizes)
        high = min((int(cell[b]["first_difference"]) + 1) * b for b in sizes)
        common += low < high
    if inside:
        say(f"Of the {len(inside)} θ in S at every batch size, {common} first differ at batches that share a sample at every B "
            "(batch d of size B holds samples d·B to (d + 1)·B − 1): the same exact zero decides, whatever the batch size.")
    if not mixed and p >= 0.05:
        say("So in this code the batch size changes no θ's membership in S (a sample's pre-activations, hence its zeros, do not "
            "depend on it, and no zero's effect was lost in the batch sums here); the spread across the independent sweep's cells "
            "comes from their different θ: sampling, and its χ² p is one of several such tests in this report.")
    if mixed:
        # Which batch sizes keep a θ out of S that others put in it, and whether its zeros were there.
        outs = OrderedDict((b, 0) for b in sizes)
        for _, cell in mixed:
            for b in sizes:
                outs[b] += cell[b]["in_s"] != "1"
        say("Among the θ in S at some batch sizes only, out of S at: " + ", ".join(f"B = {b}: {n}" for b, n in outs.items()) + ".")
    say("")


def sweep_deviations(say, sweep, compared):
    """The paragraph under a sweep table: each cell that differs from the paper (Fisher p < 0.05) with its
    direction, and per format whether ours lies below the paper's share in more cells than chance would put
    there (two-sided sign test over the cells whose published share is strictly between 0 and 1)."""
    if not compared:
        return
    lines = []
    for fmt_ in dict.fromkeys(c[0] for c in compared):
        mine = [c for c in compared if c[0] == fmt_]
        off = [c for c in mine if c[5] < 0.05]
        if not off:
            lines.append(f"- {fmt_}: " + ("its one cell agrees" if len(mine) == 1 else f"every one of its {len(mine)} cells agrees")
                         + " with the paper (Fisher p >= 0.05).")
        else:
            told = "; ".join(f"{sweep} = {x}: {fmt(k / n)} {'below' if k / n < v else 'above'} the paper's {v:g} "
                             f"(p {pvalue(p)})" for _, x, k, n, v, p in off)
            lines.append(f"- **{fmt_}**: {len(off)} of its {len(mine)} cells {'differs' if len(off) == 1 else 'differ'} from the paper: {told}.")
        inner = [c for c in mine if 0 < c[4] < 1 and c[2] / c[3] != c[4]]
        if len(inner) >= 3:
            below = sum(c[2] / c[3] < c[4] for c in inner)
            lines.append(f"  Ours is below the paper's share in {below} of the {len(inner)} cells with a share strictly "
                         f"between 0 and 1 (sign test p {pvalue(binomial_test(below, len(inner), 0.5))}; post hoc: a test "
                         "chosen after seeing the shares, so exploratory, and the cells are not independent where they share "
                         "the headline cell's draws).")
    say(f"Deviations along {sweep}:\n")
    for line in lines:
        say(line)
    say("")


def conv_tests(say, results):
    """Mann-Whitney tests of the time to first difference between cells of ours: batch norm against none
    (same model and format) and, at binary32 without batch norm, the corrected protocol against the paper's."""
    paths = {n: os.path.join(results, n) for n in ("conv-volume.csv", "conv-volume-corrected.csv")}
    if not os.path.exists(paths["conv-volume.csv"]):
        return
    keys = ["model", "batch_norm", "format", "batch_norm_arithmetic"]
    paper_cells = cells(load(paths["conv-volume.csv"]), keys)
    corrected = cells(load(paths["conv-volume-corrected.csv"]), keys) if os.path.exists(paths["conv-volume-corrected.csv"]) else {}
    pairs = []
    for (model, bn, format_, arithmetic), group in paper_cells.items():
        if bn == "true" and (model, "false", format_, "storage") in paper_cells:
            where = f" (in {arithmetic})" if format_ not in ("binary32", "binary64") else ""
            pairs.append((f"{model} {format_}: BN{where} against no BN (paper protocol)", group, paper_cells[(model, "false", format_, "storage")]))
        if bn == "true" and arithmetic == "accumulation" and (model, bn, format_, "storage") in paper_cells:
            pairs.append((f"{model} {format_} BN: normalised in binary32 against in storage (paper protocol)", group,
                          paper_cells[(model, bn, format_, "storage")]))
    for key, group in corrected.items():
        if key in paper_cells:
            pairs.append((f"{key[0]} {key[2]} BN={key[1]}: corrected protocol against paper protocol", group, paper_cells[key]))
    if not pairs:
        return
    say("Tests between our cells: two-sided Mann-Whitney U on k (normal approximation with tie and continuity "
        "corrections; a draw that never differed ranks above every k). A small p says the two cells' times to "
        "first difference differ in distribution; with k = 1 in every draw of both cells there is nothing to test.\n")
    say("| comparison | draws | median k | U | p |")
    say("|---|---|---|---|---|")
    for label, a, b in pairs:
        ka, kb = first_difference_ks(a), first_difference_ks(b)
        u, p = mann_whitney(ka, kb)
        say(f"| {label} | {len(ka)} vs {len(kb)} | {median(ka)} vs {median(kb)} | {u:g} | {pvalue(p)} |")
    say("")


def zero_causes(say, results):
    """`conv-training-resnet-causes.csv`: per epoch, the exact zeros at ReLU inputs by cause, beside the same run
    in `conv-training-resnet-10k.csv` (same seed and options, no classification) as a check that classifying
    changed nothing."""
    path = os.path.join(results, "conv-training-resnet-causes.csv")
    if not os.path.exists(path):
        return
    rows = [r for r in load(path) if not r.get("error") and r["epoch"]]
    same = {}
    twin = os.path.join(results, "conv-training-resnet-10k.csv")
    if os.path.exists(twin) and rows:
        same = {r["epoch"]: r for r in load(twin) if not r.get("error") and r["epoch"] and r["seed"] == rows[0]["seed"]
                and r["relu0"] == rows[0]["relu0"] and r["kink_rule"] == rows[0]["kink_rule"]}
    say("Why a kink rule can act at all without batch norm (`conv-training-resnet-causes.csv`: the 10k file's ReLU'(0) = 0 run "
        "again with every exact zero at a ReLU input classified). *Exact* zeros are zero in exact arithmetic too "
        "(every product zero: an all-zero patch, which reaches no weight gradient under either rule; or exact "
        "cancellation); *rounding* zeros have an exact sum that is not zero, so their patch is not all zero and the "
        "paper's rule (grad_in = ReLU'(0) whatever grad_out is) puts ReLU'(0) times that patch into a weight gradient. "
        "A ReLU after a residual addition is classified as one sum of both branches' terms; only ReLUs after batch norm "
        "(none here) are not.\n")
    say("| epoch | ReLU inputs | zeros | exact | rounding | not classified | train loss | same as the 10k run |")
    say("|---|---|---|---|---|---|---|---|")
    for r in rows:
        total, exact, rounding = int(r["zeros_total"]), int(r["zeros_exact"] or 0), int(r["zeros_rounding"] or 0)
        t = same.get(r["epoch"])
        check = "" if t is None else ("yes" if (t["zeros_total"], t["train_loss"]) == (r["zeros_total"], r["train_loss"]) else "**no**")
        say(f"| {r['epoch']} | {r['activation_inputs']} | {total} | {exact} | {rounding} | {total - exact - rounding} | "
            f"{float(r['train_loss']):.4f} | {check} |")
    say("")


def nan_check(say, results):
    """`conv-training-resnet-nancheck*.csv`: collapsed runs of the 10k file rerun with ReLU's forward passing NaN
    (0.9.0; before, ReLU turned a NaN into 0), epoch by epoch beside the originals. Equal rows mean no NaN ever
    reached a ReLU in that run, so its collapse is not a NaN the old forward hid."""
    # One file per rerun command (a sweep resuming a file drops its unfinished trials, and these runs were
    # stopped on purpose): conv-training-resnet-nancheck.csv, then -<ReLU'(0)>.csv.
    paths = sorted(glob.glob(os.path.join(results, "conv-training-resnet-nancheck*.csv")), key=lambda p: (not p.endswith("nancheck.csv"), p))
    twin = os.path.join(results, "conv-training-resnet-10k.csv")
    if not (paths and os.path.exists(twin)):
        return
    rows = [r for path in paths for r in load(path) if not r.get("error") and r["epoch"]]
    if not rows:
        return
    # A run of the paired 10k file is its cell (ReLU'(0), rule) and its run seed.
    run = lambda r: (r["relu0"], r["kink_rule"], r["run_seed"])
    reruns = OrderedDict()
    for r in rows:
        reruns.setdefault(run(r), []).append(r)
    original = {}
    for r in load(twin):
        if not r.get("error") and r["epoch"] and run(r) in reruns:
            original[(run(r), r["epoch"])] = r
    key = lambda r: (r["train_loss"], r["zeros_total"], r["train_accuracy"])
    verdicts = []
    for cell, group in reruns.items():
        matched = [original.get((cell, r["epoch"])) for r in group]
        equal = all(t is not None and key(t) == key(r) for r, t in zip(group, matched))
        verdicts.append((group, matched, equal))
    versions = sorted({r["version"] for r in rows})
    say(f"Was a collapse a hidden NaN? Before 0.9.0 ReLU's forward turned a NaN input into 0, so a NaN weight could "
        f"leave the loss finite and a broken run read as a collapse. `conv-training-resnet-nancheck*.csv` rerun "
        f"{len(reruns)} collapsed run{'s' if len(reruns) != 1 else ''} of the 10k file with version {', '.join(versions)}, "
        f"where a NaN passes ReLU and reaches the loss, for their first epochs. Equal rows (train loss, train accuracy "
        f"and the count of exact zeros, epoch by epoch) mean no NaN reached a ReLU input in those epochs, so the collapse "
        f"is not a NaN the old forward hid (the share of ReLU inputs exactly zero is in the table; the 10k file's last "
        f"epochs are in the section above). "
        f"{sum(v[2] for v in verdicts)} of {len(verdicts)} reruns equal their original in every epoch they ran.\n")
    say("| ReLU'(0) | rule | run | epoch | train loss | train accuracy | zeros | share of ReLU inputs | train loss, 10k file | zeros, 10k file | equal |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    for group, matched, _ in verdicts:
        for r, t in zip(group, matched):
            equal = "" if t is None else ("yes" if key(t) == key(r) else "**no**")
            say(f"| {r['relu0']} | {r['kink_rule']} | {r['run_seed']} | {r['epoch']} | {float(r['train_loss']):.4f} | {r['train_accuracy']} | "
                f"{r['zeros_total']} | {float(r['zero_ratio']):.3f} | "
                f"{'' if t is None else format(float(t['train_loss']), '.4f')} | {'' if t is None else t['zeros_total']} | {equal} |")
    say("")


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
            say(f"`precisionlab plot results/{name}.csv --raw --where final=1 --x relu0 --y test_accuracy --series {series} --kind points` "
                "(what `make report` runs: one point per run, its final evaluation; a diverged run has no accuracy and "
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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paper", default=os.path.join(here, "..", "experiments", "reference", "paper-results.md"))
    ap.add_argument("--results", default=os.path.join(here, "..", "results"))
    args = ap.parse_args()
    if not os.path.exists(args.paper):
        sys.exit(f"report.py: {args.paper}: no such file (the published numbers; give --paper PATH)")
    paper = paper_tables(args.paper)
    out = []
    say = out.append
    say("# Reproduction report: MNIST volume of the bifurcation zone\n")
    say("Generated by `python3 scripts/report.py > results/REPORT.md` from the committed CSVs in `results/` and the")
    say("published numbers (`paper-results.md`, the paper's GPU runs, 1000 draws per cell). Ours: count/draws,")
    say("ratio and 95% Wilson interval. p: two-sided Fisher exact test of our count against the paper's (its ratio")
    say("x 1000). \"agree\": p >= 0.05 (no evidence of a difference at that level; not a proof of equality).")
    say("Every draw is independent (its own θ, see docs/EXPERIMENTS.md), except within headline-pytorch-cpu.csv,")
    say("headline-theta-grid.csv, headline-tensor-core.csv and the other files marked paired, whose cells share their θ")
    say("(paired draws), and where a draw's seed recurs: the three")
    say("sweeps' shared cell (L = 3, n = 256, B = 256) is one sample in all three, marked where it repeats; real MNIST,")
    say("pixels k/255, file order.\n")

    verdict(say, args.results, paper)

    # The headline cell, both protocols.
    say("## The headline cell: L = 3, n = 256, B = 256\n")
    say("The paper reports this cell three times (one per sweep): .463 (depth), .478 (width), .488 (batch) at")
    say("32 bits. We compare with each.\n")
    files = [("paper", "headline-paper.csv"), ("corrected", "headline-corrected.csv"), ("paper", "headline-summation.csv"),
             ("paper", "headline-tf32.csv"), ("paper", "headline-init-torch.csv"), ("paper", "headline-bias-first.csv"),
             ("paper", "headline-pytorch-cpu.csv"), ("paper", "headline-theta-grid.csv"), ("paper", "headline-tensor-core.csv")]
    sized = {"headline-summation.csv": 300, "headline-tf32.csv": 300, "headline-init-torch.csv": 400, "headline-bias-first.csv": 400,
             "headline-pytorch-cpu.csv": 400, "headline-theta-grid.csv": 400, "headline-tensor-core.csv": 200}
    say("Seconds per draw: the mean of the rows' `wall_seconds` (one core per draw, two draws at a time).\n")
    say("| protocol | format | accumulate | summation (product operands) | ours | s/draw | paper (sweep) | p | agree |")
    say("|---|---|---|---|---|---|---|---|---|")
    missing, partial = [], []
    for protocol, name in files:
        path = os.path.join(args.results, name)
        if not os.path.exists(path):
            missing.append(name)
            continue
        for (fmt_, acc, summation, operands, operand_rounding, init, bias_order), rows in cells(
                load(path), ["format", "accumulate", "summation", "operands", "operand_rounding", "init", "bias_order"]).items():
            order = summation if operands == "same" else f"{summation} ({operands} operands, {operand_rounding})"
            if init != "precisionlab":
                order += f"; θ drawn by {init}"
            if bias_order != "last":
                order += f"; bias {bias_order}"
            k, n = sum(r["in_s"] == "1" for r in rows), len(rows)
            per = f"{sum(float(r['wall_seconds']) for r in rows) / n:.2f}"
            if n < sized.get(name, PAPER_DRAWS):
                partial.append(f"{protocol} {fmt_} {order}: {n} of {sized.get(name, PAPER_DRAWS)}")
            bits = BITS.get(fmt_)
            published = []
            for sweep, x in (("L", "3"), ("n", "256"), ("B", "256")):
                v = paper.get(sweep, {}).get(bits, {}).get(x) if bits else None
                if v is not None:
                    published.append((sweep, v))
            if not published:
                ours, _, _, _ = row_for(k, n, None)
                note = "not computed in the paper" if fmt_ == "binary64" else "no published value"
                say(f"| {protocol} | {fmt_} | {acc} | {order} | {ours} | {per} | {note} | | |")
            for sweep, v in published:
                ours, theirs, p, agree = row_for(k, n, v)
                say(f"| {protocol} | {fmt_} | {acc} | {order} | {ours} | {per} | {theirs} ({sweep} sweep) | {p} | {agree} |")
    say("")
    if partial:
        say("Not finished yet (the sweep resumes where it stopped): " + "; ".join(partial) + " draws. A cell not listed")
        say("in the table has not started.\n")
    for protocol, name in files:
        figure = name.replace(".csv", ".svg")
        if os.path.exists(os.path.join(args.results, figure)):
            x = {"headline-summation.csv": "summation", "headline-tf32.csv": "operand_rounding"}.get(name, "format")
            say(f"![{name.replace('.csv', '')}]({figure})  ")
            say(f"`precisionlab plot results/{name} --x {x} --y ratio -o results/{figure}`\n")

    # What the headline table says, with its numbers: deviations and findings.
    headline = {}
    for protocol, name in files:
        path = os.path.join(args.results, name)
        if os.path.exists(path) and name not in PAIRED_ARITHMETIC:  # paired files: their own bullets below
            for (format_, summation, operands, mode, init, bias_order), rows in cells(
                    load(path), ["format", "summation", "operands", "operand_rounding", "init", "bias_order"]).items():
                order = summation if operands == "same" else f"{operands}:{mode}"
                if init != "precisionlab":
                    order = f"init:{init}" + (f":bias-{bias_order}:{summation}" if bias_order != "last" else "")
                headline[(protocol, format_, order)] = (sum(r["in_s"] == "1" for r in rows), len(rows))
    torch_cpu = re.search(r"L=3 (\d+)/(\d+)", read_text(args.paper))
    say("### Deviations and findings at the headline cell\n")
    seq = headline.get(("paper", "binary32", "sequential"))
    if seq:
        k, n = seq
        lo, hi = wilson(k, n)
        worst = max(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS) for v in (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
        say(f"- **binary32, paper protocol, sequential sums**: {k}/{n} = {fmt(k / n)} [{fmt(lo)}, {fmt(hi)}] in S, against the paper's "
            f"{paper['L']['32-bit']['3']:g}, {paper['n']['32-bit']['256']:g} and {paper['B']['32-bit']['256']:g} (largest Fisher p {pvalue(worst)}). "
            "The paper's runs summed on a GPU (cuBLAS's blocked order, unknown in detail); ours sums each dot product in k order. "
            + (f"The PyTorch 2.15 CPU run listed beside the paper's numbers gave {torch_cpu.group(1)}/{torch_cpu.group(2)} here "
               f"(Fisher p against ours {pvalue(fisher(k, n, int(torch_cpu.group(1)), int(torch_cpu.group(2))))}); it compares each "
               "batch's own gradient rather than the paper's running sums, and its other cells are under the sweeps below"
               + "".join(f"; at {a} = {x} it differs from the paper's {paper[a]['32-bit'][x]:g} ({kk}/{nn}, Fisher p "
                         f"{pvalue(fisher(kk, nn, round(paper[a]['32-bit'][x] * PAPER_DRAWS), PAPER_DRAWS))})"
                         for a, x, kk, nn in cpu_peer_cells(args.paper)
                         if paper.get(a, {}).get("32-bit", {}).get(x) is not None
                         and fisher(kk, nn, round(paper[a]["32-bit"][x] * PAPER_DRAWS), PAPER_DRAWS) < 0.05) + ". " if torch_cpu else "")
            + "Which exact zeros arise depends on the order of the sums and on the operands' rounding, so the order and the GPU's "
            "TF32 mode are the suspects; the summation and TF32 rows of the table test them where present (next bullets).")
    for order in ("pairwise", "blas"):
        other = headline.get(("paper", "binary32", order))
        if other and seq:
            k2, n2 = other
            say(f"- binary32 with {order} sums: {k2}/{n2} = {fmt(k2 / n2)} in S; against sequential sums (independent draws) Fisher p "
                f"{pvalue(fisher(k2, n2, seq[0], seq[1]))}.")
    def variant(key, what, closing=""):
        """A bullet for one binary32 variant at the headline cell, against sequential sums and the paper."""
        other = headline.get(("paper", "binary32", key))
        if not (other and seq):
            return
        k2, n2 = other
        lo2, hi2 = wilson(k2, n2)
        against = ", ".join(f"{v:g} (p {pvalue(fisher(k2, n2, round(v * PAPER_DRAWS), PAPER_DRAWS))})"
                            for v in (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
        say(f"- binary32 with {what}: {k2}/{n2} = {fmt(k2 / n2)} [{fmt(lo2)}, {fmt(hi2)}] in S; against {'our own draws with the same arithmetic' if key.startswith('init:') else 'plain binary32 with sequential sums'} "
            f"(independent draws) Fisher p {pvalue(fisher(k2, n2, seq[0], seq[1]))}; against the paper's {against}.{closing}")

    for mode in ("nearest-away", "nearest-even"):
        variant(f"tf32:{mode}", f"TF32 product operands ({mode}, GPU TF32 mode)")
    variant("init:torch", "θ drawn by PyTorch's generator (`--init torch`: PyTorch's own weights and biases bit for bit, on its "
            "coarser grid; sequential sums, bias last)", " This changes θ alone.")
    torch_last = headline.get(("paper", "binary32", "init:torch"))
    for summation, what in (("sequential", "each sum starting at the bias, then the products in k order"),
                            ("blocked:256", "BLAS's K-blocking: the total starts at the bias, each block of 256 products summed from zero and added to it")):
        cell = headline.get(("paper", "binary32", f"init:torch:bias-first:{summation}"))
        if cell and torch_last:
            k2, n2 = cell
            lo2, hi2 = wilson(k2, n2)
            against = ", ".join(f"{v:g} (p {pvalue(fisher(k2, n2, round(v * PAPER_DRAWS), PAPER_DRAWS))})"
                                for v in (paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"]))
            say(f"- binary32 with PyTorch's θ and the bias first (`--bias-order first`, {what}): {k2}/{n2} = {fmt(k2 / n2)} "
                f"[{fmt(lo2)}, {fmt(hi2)}] in S; against the same θ generator with the bias last ({torch_last[0]}/{torch_last[1]}, "
                f"independent draws) Fisher p {pvalue(fisher(k2, n2, torch_last[0], torch_last[1]))}; against the paper's {against}.")
    replayed = arithmetic_cells(say, os.path.join(args.results, "headline-pytorch-cpu.csv"), paper, "PyTorch's θ")
    replayed += arithmetic_cells(say, os.path.join(args.results, "headline-theta-grid.csv"), paper, "PrecisionLab's θ (53-bit draws)")
    replayed += arithmetic_cells(say, os.path.join(args.results, "headline-tensor-core.csv"), paper,
                                 "PyTorch's θ and TF32 operands (nearest-away)")
    zeros_per_pass(say, os.path.join(args.results, "zeros-pytorch-cpu.csv"))
    zero_operations(say, os.path.join(args.results, "zero-operations-pytorch-cpu.csv"))
    depth_under_trees(say, os.path.join(args.results, "volume-layers-pytorch-cpu.csv"),
                      os.path.join(args.results, "headline-pytorch-cpu.csv"), paper)
    suspects = [(label, headline[key]) for label, key in (("pairwise sums", ("paper", "binary32", "pairwise")),
                                                          ("OpenBLAS sums", ("paper", "binary32", "blas")),
                                                          ("TF32 operands (nearest-away)", ("paper", "binary32", "tf32:nearest-away")),
                                                          ("TF32 operands (nearest-even)", ("paper", "binary32", "tf32:nearest-even")),
                                                          ("PyTorch's θ", ("paper", "binary32", "init:torch")),
                                                          ("PyTorch's θ, bias first", ("paper", "binary32", "init:torch:bias-first:sequential")),
                                                          ("PyTorch's θ, bias first, blocked:256", ("paper", "binary32", "init:torch:bias-first:blocked:256")))
                if key in headline] + replayed
    if seq and suspects:
        lowest = min(paper["L"]["32-bit"]["3"], paper["n"]["32-bit"]["256"], paper["B"]["32-bit"]["256"])
        reaching = [label for label, (k2, n2) in suspects
                    if fisher(k2, n2, round(lowest * PAPER_DRAWS), PAPER_DRAWS) >= 0.05 or k2 / n2 >= lowest]
        if not reaching:
            say(f"- **So far unexplained**: none of the variants tried ({', '.join(label for label, _ in suspects)}) reaches the paper's "
                f"lowest published share at this cell ({lowest:g}); each is below it with Fisher p < 0.05"
                + (", and none differs from sequential sums (Fisher p >= 0.05)" if all(fisher(k2, n2, seq[0], seq[1]) >= 0.05 for _, (k2, n2) in suspects) else "")
                + ". What the paper's GPU computed differently at binary32 is not known here.")
        else:
            say(f"- Variants whose share is not below the paper's lowest ({lowest:g}) at the 0.05 level: {', '.join(reaching)}.")
    corrected = headline.get(("corrected", "binary32", "sequential"))
    if corrected and seq:
        k2, n2 = corrected
        say(f"- **The protocol at binary32**: corrected protocol {k2}/{n2} = {fmt(k2 / n2)}, paper protocol {seq[0]}/{seq[1]} = "
            f"{fmt(seq[0] / seq[1])}; Fisher p {pvalue(fisher(k2, n2, seq[0], seq[1]))} (independent draws). The paper protocol compares running "
            "sums of gradients and sets the input gradient to α at a zero instead of scaling it.")
    half = headline.get(("corrected", "binary16", "sequential")) or headline.get(("paper", "binary16", "sequential"))
    if half:
        say(f"- binary16 with binary32 accumulation (as hardware): {half[0]}/{half[1]} in S, as the paper's 16-bit cells (1). "
            "Per-operation binary16 rounding (`--accumulate same`) against binary32 sums is accumulation-16bit.csv's question.")
    double = headline.get(("paper", "binary64", "sequential"))
    if double:
        say(f"- binary64: {double[0]}/{double[1]} in S. The paper's 64-bit depth cells were never computed (a loop exited first); its width "
            "table lists 0.")
    brain = headline.get(("corrected", "bfloat16", "sequential")) or headline.get(("paper", "bfloat16", "sequential"))
    if brain:
        say(f"- bfloat16 (beyond the paper, binary32 accumulation): {brain[0]}/{brain[1]} in S. No published value.")
    say("")

    # The sweeps, when their CSVs exist. A cell whose draws (seeds) another table already showed is marked:
    # the sweeps share their headline cell, so it is one sample compared with three published numbers.
    samples = {}
    headline_seeds = {}
    for r in load(os.path.join(args.results, "headline-paper.csv")) if os.path.exists(os.path.join(args.results, "headline-paper.csv")) else []:
        headline_seeds.setdefault((r["protocol"], r["format"], r["accumulate"]), set()).add(r["seed"])
    for sweep, name, title in (("L", "volume-layers.csv", "depth L (n = 256, B = 256)"), ("n", "volume-width.csv", "width n (L = 3, B = 256)"),
                               ("B", "volume-batch.csv", "batch B (L = 3, n = 256)")):
        path = os.path.join(args.results, name)
        if not os.path.exists(path):
            missing.append(name)
            continue
        companion = os.path.join(args.results, name.replace(".csv", "-binary64.csv"))
        rows_all = load(path) + (load(companion) if os.path.exists(companion) else [])
        say(f"## Volume against {title}\n")
        say(f"From `results/{name}` (and its `-binary64` file when present). The sweep files ask for 200 draws per cell (50 at "
            "binary64); a smaller count is a sweep still running or stopped (it resumes), and a cell not listed has not started.\n")
        say("| protocol | format | accumulate | " + sweep + " | ours | paper | p | agree |")
        say("|---|---|---|---|---|---|---|---|")
        compared = []  # (format, x, k, n, published, p) of the cells with a published share
        for (protocol, fmt_, acc, widths, batch), rows in cells(rows_all, ["protocol", "format", "accumulate", "widths", "batch_size"]).items():
            x = axis(rows[0])[sweep]
            k, n = sum(r["in_s"] == "1" for r in rows), len(rows)
            v = paper.get(sweep, {}).get(BITS.get(fmt_), {}).get(x)
            ours, theirs, p, agree = row_for(k, n, v)
            seeds = frozenset(r["seed"] for r in rows)
            same = samples.setdefault((protocol, fmt_, acc, seeds), f"`{name}`'s {sweep} = {x} cell")
            if same != f"`{name}`'s {sweep} = {x} cell":
                agree += f" (the same {n} draws as {same}: not another sample)"
            elif seeds <= headline_seeds.get((protocol, fmt_, acc), set()):
                agree += f" (its {n} draws are also in headline-paper.csv)"
            say(f"| {protocol} | {fmt_} | {acc} | {x} | {ours} | {theirs or 'none published'} | {p} | {agree} |")
            if v is not None:
                compared.append((fmt_, x, k, n, v, fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS)))
        say("")
        sweep_deviations(say, sweep, compared)
        for peer in peer_runs(os.path.join(args.results, "torch-bifurcation.log")):
            if any(peer[axis_] != value for axis_, value in SWEEP_FIXED[sweep].items()):
                continue
            ours = [c for c in compared if c[0] == peer["format"] and c[1] == peer[sweep]]
            k, n = peer["k"], peer["runs"]
            lo, hi = wilson(k, n)
            text = (f"PyTorch {peer['version']} on the CPU (`{peer['command']}`: the paper's constant rule, each batch's own "
                    f"gradient), {peer['format']} at {sweep} = {peer[sweep]}: {k}/{n} = {fmt(k / n)} [{fmt(lo)}, {fmt(hi)}] in S")
            for fmt_, x, k2, n2, v, _ in ours:
                text += (f"; against ours ({k2}/{n2}) Fisher p {pvalue(fisher(k, n, k2, n2))}, against the paper's {v:g} "
                         f"p {pvalue(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS))}")
            say(text + ".\n")
        listed = [c for c in cpu_peer_cells(args.paper) if c[0] == sweep]
        if listed:
            parts = []
            for _, x, k, n in listed:
                ours = [c for c in compared if c[0] == "binary32" and c[1] == x]
                v = paper.get(sweep, {}).get("32-bit", {}).get(x)
                part = f"{sweep} = {x}: {k}/{n} = {fmt(k / n)}"
                if ours:
                    part += f" (against ours, {ours[0][2]}/{ours[0][3]}, Fisher p {pvalue(fisher(k, n, ours[0][2], ours[0][3]))}"
                    part += f"; against the paper's {v:g}, p {pvalue(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS))})" if v is not None else ")"
                elif v is not None:
                    part += f" (against the paper's {v:g}, p {pvalue(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS))})"
                parts.append(part)
            say("The PyTorch 2.15 CPU run listed beside the paper's numbers (`paper-results.md`; 2 threads, binary32; it compares each "
                "batch's own gradient, where the paper's protocol compares gradients summed over the batches so far, so it is not "
                "the same protocol), every cell of this sweep it has: " + "; ".join(parts) + ".\n")
        if sweep == "B":
            batch_paired(say, os.path.join(args.results, "volume-batch-paired.csv"), path)

    # Beyond the paper: every other volume file present, grouped by the options that vary in it.
    extras = [("volume-precision.csv", "Volume against significand bits p (headline cell, paper protocol)"),
              ("volume-precision-wide.csv", "Volume against significand bits p above binary32 (binary64 accumulation, headline cell, paper protocol)"),
              ("volume-wide-formats.csv", "Formats wider than binary64 (headline cell, first 20 batches, corrected protocol)"),
              ("accumulation-16bit.csv", "16-bit storage: per-operation rounding vs binary32 accumulation (paired draws)"),
              ("stochastic-rounding.csv", "Stochastic rounding vs round to nearest at 16 bits (paired draws)"),
              ("volume-fp8.csv", "FP8 storage with binary32 accumulation"),
              ("l1-summation.csv", "L = 1, binary32: summation order (paired draws)"),
              ("width64-16bit.csv", "binary16 at n = 64 (L = 3, B = 256): arithmetic and gradient summing (paper rule, paired draws)")]
    for name, title in extras:
        path = os.path.join(args.results, name)
        if not os.path.exists(path):
            missing.append(name)
            continue
        rows = load(path)
        keys = [c for c in ("protocol", "format", "accumulate", "accumulate_gradients", "rounding", "summation", "widths", "max_batches")
                if len({r[c] for r in rows}) > 1] or ["format"]
        groups = cells(rows, keys)
        published = {key: published_share(paper, group[0]) for key, group in groups.items()}
        with_paper = any(v is not None for v in published.values())
        say(f"## {title}\n")
        if with_paper:
            say(f"From `results/{name}`. Where a cell is one the paper published (its format, protocol and layout in the "
                "depth, width or batch table), the paper's share is beside it with the Fisher test as above; otherwise "
                "counts with their 95% Wilson intervals.\n")
        else:
            say(f"From `results/{name}`. No published counterpart: counts with their 95% Wilson intervals.\n")
        extra = " paper | p | agree |" if with_paper else ""
        say("| " + " | ".join(keys) + " | in S | median first differing batch | mean seconds per draw |" + extra)
        say("|" + "---|" * (len(keys) + 3 + (3 if with_paper else 0)))
        for key, group in groups.items():
            k, n = sum(r["in_s"] == "1" for r in group), len(group)
            ours, theirs, p, agree = row_for(k, n, published[key])
            firsts = sorted(int(r["first_difference"]) for r in group if r["first_difference"])
            middle = median(firsts)
            middle = "" if middle == "" else f"{middle:g}"
            seconds = sum(float(r["wall_seconds"]) for r in group) / n
            tail = f" {theirs or 'none published'} | {p} | {agree} |" if with_paper else ""
            say("| " + " | ".join(key) + f" | {ours} | {middle} | {seconds:.1f} |" + tail)
        say("")
        vacuous_differences(say, keys, groups)
        paired_comparisons(say, keys, groups)
        if name == "volume-precision-wide.csv":
            junction(say, rows, os.path.join(args.results, "headline-paper.csv"))
        if name == "volume-precision.csv":
            exponent_range(say, rows, os.path.join(args.results, "headline-paper.csv"))
            precision_flatness(say, rows)

    # Convolutional networks: time to first difference (paper section 4.4), on Fashion-MNIST here.
    conv_files = [(n, t) for n, t in (("conv-volume.csv", "paper protocol"), ("conv-volume-binary64.csv", "paper protocol, binary64"),
                                      ("conv-volume-bfloat16.csv", "paper protocol, bfloat16"),
                                      ("conv-volume-corrected.csv", "corrected protocol"),
                                      ("conv-volume-pilot.csv", "pilot: 2 draws per cell, at most 10 batches"))
                  if os.path.exists(os.path.join(args.results, n))]
    if any(n == "conv-volume.csv" for n, _ in conv_files):  # the pilot's cells are not the study's
        conv_files = [(n, t) for n, t in conv_files if n != "conv-volume-pilot.csv"]
    for name in ("conv-volume.csv", "conv-volume-binary64.csv", "conv-volume-bfloat16.csv", "conv-volume-corrected.csv"):
        if name not in [n for n, _ in conv_files]:
            missing.append(name)
    if conv_files:
        published = conv_paper_table(args.paper)
        say("## Convolutional networks: time to first difference (section 4.4)\n")
        say("k is the 1-based index of the first batch whose first-convolution weight gradient differs between ReLU'(0) = 0 "
            "and 1 (batch 100, shuffled, augmented). **Ours run on Fashion-MNIST padded to 32x32, the paper's on CIFAR-10**: "
            "the same layouts and protocol on other images, so the columns are comparable in kind, not expected to be equal. "
            "Shares with 95% Wilson intervals over the draws that ran. The paper gives shares only (no run counts), so its "
            "P(k=1) and P(k<=10) are tested as if exact: p is the two-sided exact binomial test of our count against the "
            "paper's share (which ignores the paper's own sampling error, so it errs toward finding a difference).\n")
        say("| file | model | BN | format | accumulate | BN arithmetic | draws | differed | P(k=1) | P(k<=10) | P(k<=50) | mean k | max k | paper P(k=1), P(k<=10), P(k<=50), mean k, max k (CIFAR-10) | p: P(k=1), P(k<=10) |")
        say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        deviations = []
        for name, label in conv_files:
            # A cap on the batches examined (`max_batches`) makes its own cell: draws that looked at the first 50
            # batches and at the first 150 are different measurements.
            for (model, bn, fmt_, acc, arithmetic, _cap), group in cells(
                    load(os.path.join(args.results, name)),
                    ["model", "batch_norm", "format", "accumulate", "batch_norm_arithmetic", "max_batches"]).items():
                n = len(group)
                ks = [int(r["first_difference"]) + 1 for r in group if r["first_difference"]]
                def share(limit):
                    c = sum(k <= limit for k in ks)
                    lo, hi = wilson(c, n)
                    return f"{fmt(c / n)} [{fmt(lo)}, {fmt(hi)}]"
                mean_k = f"{sum(ks) / len(ks):.1f}" if ks else ""
                theirs = published.get((model, BITS.get(fmt_), bn), "")
                tests = ""
                if theirs:
                    p1, p10 = (float(v) for v in theirs.split(", ")[:2])
                    tests = ", ".join(pvalue(binomial_test(sum(k <= limit for k in ks), n, p0)) for limit, p0 in ((1, p1), (10, p10)))
                caps = sorted({int(r["max_batches"]) for r in group if r.get("max_batches", "0") != "0"})
                cap = f" (first {', '.join(map(str, caps))} batches)" if caps else ""
                say(f"| {name} ({label}) | {model} | {bn} | {fmt_} | {acc} | {arithmetic if bn == 'true' else ''} | {n}{cap} | {len(ks)} | {share(1)} | {share(10)} | {share(50)} | "
                    f"{mean_k} | {max(ks) if ks else ''} | {theirs} | {tests} |")
                if theirs and name == "conv-volume.csv":
                    for limit, p0 in ((1, p1), (10, p10)):
                        c = sum(k <= limit for k in ks)
                        if binomial_test(c, n, p0) < 0.05:
                            deviations.append(f"{model} BN={bn} {fmt_}{' (BN in ' + arithmetic + ')' if bn == 'true' else ''}: "
                                              f"P(k{'=' if limit == 1 else '<='}{limit}) {c}/{n} against the paper's {p0:g}")
        say("")
        if deviations:
            say("Cells whose share differs from the paper's at p < 0.05 (binomial test above): " + "; ".join(deviations) + ". "
                "Every other cell's P(k=1) and P(k<=10) are within what the paper's share allows for our draws; "
                "CIFAR-10 and Fashion-MNIST are different images, so agreement says the effect has the same shape, not more.\n")
        volume = load(os.path.join(args.results, "conv-volume.csv")) if os.path.exists(os.path.join(args.results, "conv-volume.csv")) else []
        bn16 = [r for r in volume if r["batch_norm"] == "true" and r["format"] == "binary16"]
        rows16 = [r for r in bn16 if r.get("batch_norm_arithmetic", "storage") == "storage" and r["first_difference"] == "0"]
        wide16 = [r for r in bn16 if r.get("batch_norm_arithmetic", "storage") == "accumulation" and r["final"] == "1" and not r["error"]]
        if rows16 and wide16:
            say(f"**Batch norm at binary16.** Normalising in the storage format (PrecisionLab before 0.8, `--batch-norm-arithmetic "
                f"storage`), {len(rows16)} draws differed at the first batch, meeting {min(sum(int(z) for z in r['zeros_per_layer'].split(';')) for r in rows16)} "
                f"to {max(sum(int(z) for z in r['zeros_per_layer'].split(';')) for r in rows16)} exact zeros among ReLU inputs on it: "
                "the channel mean rounded to binary16 equals many of the channel's values, and x - mean is then exactly 0. "
                "Normalising in binary32 and rounding once, as GPU kernels treat half data (the default since 0.8): "
                + "; ".join(f"{model} P(k=1) {sum(r['first_difference'] == '0' for r in rs)}/{len(rs)}"
                            for model in ("vgg", "resnet") for rs in [[r for r in wide16 if r["model"] == model]] if rs)
                + f". The paper's P(k=1) with BN at 16 bits: VGG11 {published.get(('vgg', '16-bit', 'true'), '?').split(',')[0]}, "
                f"ResNet18 {published.get(('resnet', '16-bit', 'true'), '?').split(',')[0]}. **Post hoc:** the default changed to "
                f"normalising in binary32 after the storage-format runs above had met the paper's VGG11 share so badly "
                f"({sum(r['model'] == 'vgg' for r in rows16)}/{sum(r['model'] == 'vgg' for r in bn16 if r.get('batch_norm_arithmetic', 'storage') == 'storage')} "
                "at the first batch); the draws under the new default are a new sample, but the arithmetic was chosen "
                "knowing which way the first result went, so their agreement with the paper is weaker evidence than a "
                "prediction would be.\n")
        elif rows16:
            per = [sum(int(z) for z in r["zeros_per_layer"].split(";")) for r in rows16]
            say(f"With batch norm at binary16, {len(rows16)} draws differed at the first batch, meeting {min(per)} to {max(per)} exact "
                "zeros among ReLU inputs on it. A likely cause, not yet tested: PrecisionLab normalises in the storage format "
                "(the mean rounded to binary16, then x - mean, each operation rounded), so every value equal to its channel's "
                "rounded mean becomes an exact zero, and among the thousands of values per channel at binary16's 11 bits many are; "
                "cuDNN and PyTorch's own GPU kernels normalise half-precision data in binary32 (their accumulation type for half) "
                "and round once, where x - mean is almost never exactly 0. The paper's VGG11 with BN at 16 bits had P(k=1) = "
                f"{published.get(('vgg', '16-bit', 'true'), '?').split(',')[0]}. Batch norm computed in binary32 for narrow formats (as `--accumulate auto` does for sums) is "
                "the fix this points to.\n")
        conv_tests(say, args.results)
        for name, label in conv_files:
            figure = name.replace(".csv", ".svg")
            if os.path.exists(os.path.join(args.results, figure)):
                say(f"![{label}]({figure})  ")
                series = "model,batch_norm,format,batch_norm_arithmetic" if name == "conv-volume.csv" else "model,batch_norm,format"
                say(f"`precisionlab plot results/{name} --cumulative --series {series} -o results/{figure}`\n")

    training_section(say, args.results, args.paper, missing)

    # The exact-zero census while training (paper section 4).
    census = os.path.join(args.results, "zero-census.csv")
    if os.path.exists(census):
        text = read_text(args.paper)
        published = {m.group(1): float(m.group(2)) * 1e-9 for m in re.finditer(r"(L=\d+ n=\d+) ([\d.]+)e-9", text)}
        say("## Exact zeros among ReLU inputs while training\n")
        say("From `results/zero-census.csv`: SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256 in file order, one run per "
            "cell, every epoch's training forward passes counted; causes by exact recomputation. Ratio = zeros / ReLU inputs "
            "evaluated, with its 95% Wilson interval. The paper's per-cell 16-bit values (100 epochs, GPU) are listed where "
            "published.\n")
        say("| widths | format | accumulate | epochs | zeros | exact | rounding | ratio [95%] | paper (16-bit) |")
        say("|---|---|---|---|---|---|---|---|---|")
        for (widths, fmt_, acc), rows in cells(load(census), ["widths", "format", "accumulate"], final_only=False).items():
            zeros = sum(int(r["zeros_total"]) for r in rows)
            inputs = sum(int(r["activation_inputs"]) for r in rows)
            exact = sum(int(r["zeros_exact"] or 0) for r in rows)
            rounding = sum(int(r["zeros_rounding"] or 0) for r in rows)
            lo, hi = wilson(zeros, inputs)
            key = f"L={len(widths.split(',')) - 2} n={widths.split(',')[1]}"
            theirs = f"{published[key]:.3g}" if fmt_ == "binary16" and key in published else ""
            say(f"| {widths} | {fmt_} | {acc} | {max(int(r['epoch']) for r in rows)} | {zeros} | {exact} | {rounding} | "
                f"{zeros / inputs:.3g} [{lo:.2g}, {hi:.2g}] | {theirs} |")
        say("")

    if os.path.exists(os.path.join(args.results, "volume-batch.svg")):
        say("![volume against batch size, the paper beside ours](volume-batch.svg)  ")
        say("`make report`: `python3 scripts/paper-beside.py B PAPER.md SUMMARY.csv results/volume-batch.csv` (ours with 95% Wilson "
            "intervals, the paper's with its intervals for 1000 draws), then `precisionlab plot SUMMARY.csv --x x --y ratio --series "
            "source --kind line --bands --log-x --x-label \"batch size B\" --y-label \"share of θ in S\" -o results/volume-batch.svg`\n")

    if os.path.exists(os.path.join(args.results, "volume-width.svg")):
        say("![volume against width, the paper beside ours](volume-width.svg)  ")
        say("`make report`: `python3 scripts/paper-beside.py n PAPER.md SUMMARY.csv results/volume-width.csv` (ours with 95% Wilson "
            "intervals, the paper's with its intervals for 1000 draws), then `precisionlab plot SUMMARY.csv --x x --y ratio --series "
            "source --kind line --bands --log-x --x-label \"width n\" --y-label \"share of θ in S\" -o results/volume-width.svg`\n")

    if os.path.exists(os.path.join(args.results, "volume-precision.svg")):
        say("![volume against significand bits](volume-precision.svg)  ")
        say("`make report`: `python3 scripts/precision-curve.py results ALL.csv` (both precision files, `same` named by the format "
            "that sums), then `precisionlab plot ALL.csv --x format --x-as precision --y ratio --series accumulate --kind line --bands "
            "-o results/volume-precision.svg`\n")

    if os.path.exists(os.path.join(args.results, "volume-layers.svg")):
        say("![volume against depth, the paper beside ours](volume-layers.svg)  ")
        say("`make report`: `python3 scripts/paper-beside.py L PAPER.md SUMMARY.csv results/volume-layers.csv` (ours with 95% Wilson "
            "intervals, the paper's with its intervals for 1000 draws), then `precisionlab plot SUMMARY.csv --x x --y ratio --series "
            "source --kind line --bands --x-label \"hidden layers L\" --y-label \"share of θ in S\" -o results/volume-layers.svg`\n")

    if os.path.exists(os.path.join(args.results, "volume-layers-pytorch-cpu.svg")):
        say("![volume against depth with PyTorch's θ, two arithmetics, the paper beside them](volume-layers-pytorch-cpu.svg)  ")
        say("`make report`: `python3 scripts/paper-beside.py L PAPER.md SUMMARY.csv results/volume-layers-pytorch-cpu.csv results/headline-pytorch-cpu.csv` (ours with 95% Wilson "
            "intervals, the paper's with its intervals for 1000 draws), then `precisionlab plot SUMMARY.csv --x x --y ratio --series "
            "source --kind line --bands --x-label \"hidden layers L\" --y-label \"share of θ in S\" -o results/volume-layers-pytorch-cpu.svg`\n")

    if not os.path.exists(census):
        missing.append("zero-census.csv")
    if missing:
        say("## Not run yet\n")
        say("These results files are not in `results/` yet, so the cells they hold are not compared: " + ", ".join(f"`{m}`" for m in missing) + ".\n")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
