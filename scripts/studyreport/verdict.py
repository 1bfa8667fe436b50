"""The verdict: which arithmetic reproduces PyTorch CPU and which the paper, computed from the results."""
import os
from collections import OrderedDict
from .arithmetic import SWEEPS_UNDER_TREES, arithmetic_rows, tree_forward
from .peer import BIAS_FORWARD, peer_cells
from .data import PAPER_DRAWS, SWEEP_FIXED, axis, cells, fmt, load, p_range, pvalue
from .stats import binomial_test, discordant, fisher, homogeneity


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
    peers, disagreements = peer_cells(results, paper)
    for c in peers:
        lo, hi = c["interval"]
        say(f"- **PyTorch itself** (`scripts/torch-peer.py`, {BIAS_FORWARD[c['bias']]}, L = {c['layers']}, n = {c['width']}, "
            f"B = {c['batch']}, {c['protocol']} protocol): {c['k']}/{c['n']} = {fmt(c['k'] / c['n'])} [{fmt(lo)}, {fmt(hi)}] in S"
            + (f", against the paper Fisher p {p_range(c['paper'])}" if c["paper"] else "")
            + (f"; paired θ for θ with PrecisionLab's replay, {c['agree']} of {c['paired']} pairs agree"
               + (" (every disagreement is listed below)" if c["agree"] < c["paired"] else "") if c["paired"] else "")
            + ".")
    table = arithmetic_rows(results, paper)
    if table:
        agree = [r["name"] for r in table if r["paper"][0] >= 0.05]
        differ = [r["name"] for r in table if r["paper"][0] < 0.05]
        low, high = min(table, key=lambda r: r["k"] / r["n"]), max(table, key=lambda r: r["k"] / r["n"])
        low_n, high_n = min(r["n"] for r in table), max(r["n"] for r in table)
        say(f"- **Every arithmetic, λ first** ({len(table)} arithmetics on the same PyTorch θ, "
            f"{low_n if low_n == high_n else f'{low_n} to {high_n}'} draws each, every batch examined): the share in S runs from {low['k']}/{low['n']} "
            f"({low['name']}) to {high['k']}/{high['n']} ({high['name']}); "
            + (f"agreeing with all three of the paper's values (Fisher p ≥ 0.05): {'; '.join(agree)}" if agree
               else "none agrees with all three of the paper's values")
            + (f"; below at least one of them (p < 0.05): {'; '.join(differ)}" if differ else "")
            + f". λ, the zeros per pass, predicts the share (1 − exp(−λ) inside its interval) for "
            f"{sum(r['interval'][0] <= r['poisson'] <= r['interval'][1] for r in table)} of them.")
    # Which arithmetic reproduces the paper, cell by cell (the sweeps with PyTorch's θ).
    rows = load(pytorch)
    for _, name, _ in SWEEPS_UNDER_TREES:
        if os.path.exists(os.path.join(results, name)):
            rows += load(os.path.join(results, name))
    verdicts = OrderedDict()
    for (widths, batch, summation), g in cells(rows, ["widths", "batch_size", "summation"]).items():
        x = axis(g[0])
        label = "PrecisionLab's sequential sums" if summation == "sequential" else tree_forward(summation).split(" (")[0]
        for sweep, fixed in SWEEP_FIXED.items():
            v = paper.get(sweep, {}).get("32-bit", {}).get(x[sweep])
            if v is None or any(x[a] != value for a, value in fixed.items()):
                continue
            k, n = sum(r["in_s"] == "1" for r in g), len(g)
            verdicts.setdefault(label, []).append((sweep, int(x[sweep]), k, n, v, fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS)))
    for label, cells_ in verdicts.items():
        cells_.sort(key=lambda c: ("LnB".index(c[0]), c[1]))
        off = [c for c in cells_ if c[5] < 0.05]
        text = "; ".join(f"{sweep} = {x}: {k}/{n} against {v:g}, p {pvalue(p)}" for sweep, x, k, n, v, p in cells_)
        say(f"- **With PyTorch's θ, {label}**: " + (f"every one of its {len(cells_)} sweep cells agrees with the paper" if not off
                                                    else f"{len(off)} of its {len(cells_)} sweep cell{'s' if len(cells_) > 1 else ''} "
                                                    f"differ{'s' if len(off) == 1 else ''} from the paper at p < 0.05")
            + f" ({text}; the headline cell is the same draws in all three sweeps).")
    # The batch size, tested: does any arithmetic here move a θ in or out of S with B?
    batch_file = os.path.join(results, "volume-batch-pytorch-cpu.csv")
    published_b = paper.get("B", {}).get("32-bit", {})
    if os.path.exists(batch_file) and len(published_b) >= 2:
        membership = OrderedDict()
        for r in load(batch_file):
            if r.get("final") == "1" and not r.get("error"):
                membership.setdefault(r["summation"], {}).setdefault(r["run_seed"], {})[r["batch_size"]] = r["in_s"]
        sizes = sorted({b for by_seed in membership.values() for cell in by_seed.values() for b in cell}, key=int)
        parts = []
        for summation, by_seed in membership.items():
            complete = [cell for cell in by_seed.values() if len(cell) == len(sizes)]
            moved = sum(len(set(cell.values())) > 1 for cell in complete)
            inside = sum(all(v == "1" for v in cell.values()) for cell in complete)
            label = "sequential sums" if summation == "sequential" else tree_forward(summation).split(" (")[0]
            parts.append(f"{label}: {inside} of {len(complete)} θ in S at every B, {moved} in S at some B only")
        stat, dof, p = homogeneity([(round(v * PAPER_DRAWS), PAPER_DRAWS) for v in published_b.values()])
        any_moved = any(len(set(cell.values())) > 1 for by_seed in membership.values() for cell in by_seed.values() if len(cell) == len(sizes))
        text = (f"- **The batch size, tested** (`volume-batch-pytorch-cpu.csv`, the same PyTorch θ at B = {', '.join(sizes)}): "
                + "; ".join(parts) + ". ")
        if not any_moved:
            text += ("Under these arithmetics the batch size moves no θ in or out of S (a sample's pre-activations, hence its exact "
                     "zeros, do not depend on it here). ")
        spread = p < 0.05
        text += (f"The paper's shares across B ({', '.join(f'{v:g}' for v in published_b.values())}, 1000 draws each) "
                 + (f"differ by more than sampling allows (χ² {stat:.1f} on {dof} degrees of freedom, p {pvalue(p)})"
                    if spread else f"are consistent with one share (χ² {stat:.1f} on {dof} degrees of freedom, p {pvalue(p)})"))
        if spread and not any_moved:
            text += (": a spread this CPU arithmetic cannot make; a GPU library choosing its kernel by the matrix shape (so by B) "
                     "could, which reading cuBLAS's trees per shape would test.")
        say(text if text.endswith(".") else text + ".")
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
