"""The exact-zero census while training, and the precision and depth figures."""
import os, re
from .data import cells, load, read_text
from .stats import wilson


def beside_figure(say, results, figure, alt, sweep, files, label, log_x=False):
    """A figure `make beside` drew (paper-beside.py's summary, plotted), with the commands that drew it."""
    if not os.path.exists(os.path.join(results, figure + ".svg")):
        return
    say(f"![{alt}]({figure}.svg)  ")
    say(f"`make report`: `python3 scripts/paper-beside.py {sweep} PAPER.md SUMMARY.csv {' '.join(files)}` (ours with 95% Wilson "
        "intervals, the paper's with its intervals for 1000 draws), then `precisionlab plot SUMMARY.csv --x x --y ratio --series "
        f"source --kind line --bands{' --log-x' if log_x else ''} --x-label \"{label}\" --y-label \"share of θ in S\" "
        f"-o results/{figure}.svg`\n")


def census_section(say, args, paper, missing):
    """The exact-zero census while training (paper section 4), then the precision and depth figures."""

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

    beside_figure(say, args.results, "volume-batch", "volume against batch size, the paper beside ours", "B",
                  ["results/volume-batch.csv"], "batch size B", log_x=True)
    beside_figure(say, args.results, "volume-width", "volume against width, the paper beside ours", "n",
                  ["results/volume-width.csv"], "width n", log_x=True)

    if os.path.exists(os.path.join(args.results, "volume-precision.svg")):
        say("![volume against significand bits](volume-precision.svg)  ")
        say("`make report`: `python3 scripts/precision-curve.py results ALL.csv` (both precision files, `same` named by the format "
            "that sums, and headline-paper.csv's binary16 cell as a series of its own), then `precisionlab plot ALL.csv --x format "
            "--x-as precision --y ratio --series accumulate --kind line --bands --y-label \"share of θ in S\" --title \"Share of θ "
            "in S against significand bits p (L = 3, n = 256, B = 256, MNIST)\" -o results/volume-precision.svg`\n")

    beside_figure(say, args.results, "volume-layers", "volume against depth, the paper beside ours", "L",
                  ["results/volume-layers.csv"], "hidden layers L")
    beside_figure(say, args.results, "volume-layers-pytorch-cpu",
                  "volume against depth with PyTorch's θ, two arithmetics, the paper beside them", "L",
                  ["results/volume-layers-pytorch-cpu.csv", "results/headline-pytorch-cpu.csv"], "hidden layers L")
    beside_figure(say, args.results, "volume-width-pytorch-cpu",
                  "volume against width with PyTorch's θ, two arithmetics, the paper beside them", "n",
                  ["results/volume-width-pytorch-cpu.csv", "results/headline-pytorch-cpu.csv"], "width n", log_x=True)
    beside_figure(say, args.results, "volume-batch-pytorch-cpu",
                  "volume against batch size with PyTorch's θ, two arithmetics, the paper beside them", "B",
                  ["results/volume-batch-pytorch-cpu.csv", "results/headline-pytorch-cpu.csv"], "batch size B", log_x=True)

    if not os.path.exists(census):
        missing.append("zero-census.csv")
