"""The paper's sweeps (depth, width, batch): the tables beside the paper, their deviations and the paired batch
sweep."""
import os
from collections import OrderedDict
from .data import BITS, PAPER_DRAWS, SWEEP_FIXED, axis, cells, cpu_peer_cells, fmt, load, peer_runs, pvalue, row_for
from .stats import binomial_test, cochran_q, discordant, fisher, homogeneity, wilson
from .zeros import LAMBDA_NOTE, lambda_cells


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


def is_vacuous(row):
    """A draw in S by a comparison that says nothing about ReLU'(0): an all-zero first compared gradient at the
    first difference (`grad_l2` = 0), or a first difference that is a non-finite gradient (an overflow)."""
    if row.get("in_s") != "1":
        return False
    if row.get("grad_l2") not in (None, "") and float(row["grad_l2"]) == 0:
        return True
    return row.get("first_nonfinite") not in (None, "") and row["first_nonfinite"] == row["first_difference"]


def vacuous_differences(say, keys, groups):
    """Per cell, the draws counted in S whose first compared gradient (ReLU'(0) = A) was all zeros at the first
    difference (`grad_l2` = 0, so `rel_diff` is NaN): the comparison there says only that the other gradient was
    not zero, not that ReLU'(0) moved a gradient the network had; and those whose first difference was a
    non-finite gradient (an overflow)."""
    lines = []
    for key, group in groups.items():
        in_s = [r for r in group if r["in_s"] == "1"]
        zero = [r for r in in_s if r.get("grad_l2") not in (None, "") and float(r["grad_l2"]) == 0]
        if zero:
            lines.append(f"- {', '.join(key)}: {len(zero)} of its {len(in_s)} draws in S differ from an all-zero gradient "
                         "(`grad_l2` = 0, `rel_diff` NaN): the gradient had underflowed to zero, so their being in S is vacuous.")
        overflow = [r for r in in_s if r.get("first_nonfinite") not in (None, "") and r["first_nonfinite"] == r["first_difference"]]
        if overflow:
            lines.append(f"- {', '.join(key)}: {len(overflow)} of its {len(in_s)} draws in S first differ by a non-finite gradient "
                         "(`first_nonfinite` = `first_difference`: an infinity or a NaN, as when a loss-scaled gradient overflows), "
                         "so their being in S says nothing about ReLU'(0).")
    if lines:
        say("Draws in S by a vacuous comparison:\n")
        for line in lines:
            say(line)
        say("")


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
            say("The independent sweep (`volume-batch.csv`, binary32, its own θ per cell): "
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


def first_difference_ks(rows):
    """k (1-based) per draw; a draw that never differed gets its pass length + 1, above every k (the
    rank test treats it as the largest value, as it is)."""
    return [int(r["first_difference"]) + 1 if r["first_difference"] else int(r["batches_examined"]) + 1 for r in rows]


def sweeps_section(say, args, paper, missing):
    """The paper's three sweeps (depth, width, batch) beside its numbers, when their CSVs exist."""
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
            "binary64); a smaller count is a sweep still running or stopped (it resumes), and a cell not listed has not started. "
            + LAMBDA_NOTE + "\n")
        say("| protocol | format | accumulate | " + sweep + " | λ per pass | λ by layer | 1 − e^−λ | ours (in S) | paper | p | agree |")
        say("|---|---|---|---|---|---|---|---|---|---|---|")
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
            lam, by_layer, predicted = lambda_cells(rows)
            say(f"| {protocol} | {fmt_} | {acc} | {x} | {lam} | {by_layer} | {predicted} | {ours} | {theirs or 'none published'} | {p} | {agree} |")
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
