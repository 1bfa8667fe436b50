#!/usr/bin/env python3
"""A summary CSV of one sweep with the paper's published shares beside ours, for a figure with both:
per format (and summation, when the files hold several) and sweep value, our share in S with its 95%
Wilson interval (series `ours FORMAT[, SUMMATION]`) and the paper's (series `paper N-bit`, its interval
for 1000 draws). Cells of the paper protocol at the paper's arithmetic only (studyreport.data.published_share);
the first file's `-binary64` companion too; later files add only summations the first file has (a trees
file counts as the same summation as another read off the same library build: the same arithmetic).

usage: paper-beside.py SWEEP PAPER.md OUT.csv RESULTS.csv [RESULTS.csv ...]
       (SWEEP: L, n or B; exits 1 when nothing matches)"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from studyreport import arithmetic, data, stats  # noqa: E402


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("L", "n", "B"):
        sys.exit("usage: paper-beside.py SWEEP PAPER.md OUT.csv RESULTS.csv [RESULTS.csv ...]")
    sweep, paper_path, out, path = sys.argv[1:5]
    paper = data.paper_tables(paper_path)
    rows = data.load(path)
    companion = path.replace(".csv", "-binary64.csv")
    if os.path.exists(companion):
        rows += data.load(companion)
    summations = {r.get("summation", "sequential") for r in rows}
    # Trees files read off the same library build (the same arithmetic, other shapes) count as one summation.
    libraries = {arithmetic.tree_forward(s) for s in summations if s.startswith("tree:")}
    def wanted(summation):
        return summation in summations or (summation.startswith("tree:") and arithmetic.tree_forward(summation) in libraries)
    for extra in sys.argv[5:]:
        rows += [r for r in data.load(extra) if wanted(r.get("summation", "sequential"))]
    several = len(summations) > 1
    summary = []
    for (fmt_, widths, batch, summation), group in data.cells(rows, ["format", "widths", "batch_size", "summation"]).items():
        first = group[0]
        x = data.axis(first)
        if any(x[a] != v for a, v in data.SWEEP_FIXED[sweep].items()):
            continue
        if data.published_share(paper, first) is None and fmt_ != "binary64":
            continue
        k, n = sum(r["in_s"] == "1" for r in group), len(group)
        lo, hi = stats.wilson(k, n)
        label = f"ours {fmt_}"
        if several:
            label += ", " + (summation if not summation.startswith("tree:")
                             else arithmetic.tree_forward(summation).split(" (")[0].replace("PyTorch CPU's ", "PyTorch CPU "))
        summary.append({"x": x[sweep], "source": label, "ratio": k / n, "ci_low": lo, "ci_high": hi})
        bits = data.BITS.get(fmt_)
        v = paper.get(sweep, {}).get(bits, {}).get(x[sweep])
        if v is not None and not any(s["source"] == f"paper {bits}" and s["x"] == x[sweep] for s in summary):
            k0 = round(v * data.PAPER_DRAWS)
            lo0, hi0 = stats.wilson(k0, data.PAPER_DRAWS)
            summary.append({"x": x[sweep], "source": f"paper {bits}", "ratio": v, "ci_low": lo0, "ci_high": hi0})
    if not summary:
        sys.exit(1)
    summary.sort(key=lambda s: (s["source"], float(s["x"])))
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["x", "source", "ratio", "ci_low", "ci_high"])
        writer.writeheader()
        writer.writerows(summary)


if __name__ == "__main__":
    main()
