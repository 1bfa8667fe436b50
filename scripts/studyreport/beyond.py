"""Volume files beyond the paper's grid."""
import os
from .data import LEGACY, cells, shared_note, load, published_share, row_for
from .stats import median
from .stats import wilson
from .sweeps import exponent_range, is_vacuous, junction, paired_comparisons, precision_flatness, vacuous_differences


def beyond_section(say, args, paper, missing):
    """Beyond the paper: every other volume file present, grouped by the options that vary in it."""
    # Beyond the paper: every other volume file present, grouped by the options that vary in it.
    extras = [("volume-precision.csv", "Volume against significand bits p (headline cell, paper protocol)"),
              ("volume-precision-wide.csv", "Volume against significand bits p above binary32 (binary64 accumulation, headline cell, paper protocol)"),
              ("volume-wide-formats.csv", "Formats wider than binary64 (headline cell, first 20 batches, corrected protocol)"),
              ("accumulation-16bit.csv", "16-bit storage: per-operation rounding vs binary32 accumulation (paired draws)"),
              ("stochastic-rounding.csv", "Stochastic rounding vs round to nearest at 16 bits (paired draws)"),
              ("volume-fp8.csv", "FP8 storage with binary32 accumulation"),
              ("volume-fp8-loss-scale.csv", "FP8 storage with binary32 accumulation under loss scaling (paired draws)"),
              ("volume-mx.csv", "binary32 with OCP MX operands in every dense product (paired draws)"),
              ("volume-policy.csv", "binary32 under mixed-precision policies: PyTorch autocast, FP8 training (`--policy`, paired draws)"),
              ("l1-summation.csv", "L = 1, binary32: summation order (paired draws)"),
              ("width64-16bit.csv", "binary16 at n = 64 (L = 3, B = 256): arithmetic and gradient summing (paper rule, paired draws)")]
    for name, title in extras:
        path = os.path.join(args.results, name)
        if not os.path.exists(path):
            missing.append(name)
            continue
        rows = load(path)
        keys = [c for c in ("protocol", "format", "accumulate", "accumulate_gradients", "rounding", "summation", "mx", "policy", "loss_scale", "widths",
                            "max_batches")
                if len({r.get(c, LEGACY.get(c)) for r in rows}) > 1] or ["format"]
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
        # Vacuous draws (in S by an all-zero or an overflowed gradient) are left out of a second share.
        vacuous = any(is_vacuous(r) for r in rows)
        say("| " + " | ".join(keys) + " | in S |" + (" in S, vacuous draws left out |" if vacuous else "")
            + " median first differing batch | mean seconds per draw |" + extra)
        say("|" + "---|" * (len(keys) + 3 + (1 if vacuous else 0) + (3 if with_paper else 0)))
        for key, group in groups.items():
            k, n = sum(r["in_s"] == "1" for r in group), len(group)
            ours, theirs, p, agree = row_for(k, n, published[key])
            firsts = sorted(int(r["first_difference"]) for r in group if r["first_difference"])
            middle = median(firsts)
            middle = "" if middle == "" else f"{middle:g}"
            seconds = sum(float(r["wall_seconds"]) for r in group) / n
            tail = f" {theirs or 'none published'} | {p} | {agree} |" if with_paper else ""
            shared = shared_note(group, name, args.results)
            if shared and not with_paper:
                ours += shared
            elif shared:
                tail = tail[:-2] + shared + " |"
            if vacuous:
                kept = [r for r in group if not is_vacuous(r)]
                k2, n2 = sum(r["in_s"] == "1" for r in kept), len(kept)
                lo, hi = wilson(k2, n2) if n2 else (0.0, 1.0)
                ours += " | " + (f"{k2}/{n2} = {k2 / n2:.3f} [{lo:.3f}, {hi:.3f}]" if n2 else "none left (every draw vacuous)")
            say("| " + " | ".join(key) + f" | {ours} | {middle} | {seconds:.1f} |" + tail)
        say("")
        vacuous_differences(say, keys, groups)
        paired_comparisons(say, keys, groups)
        if name == "volume-precision-wide.csv":
            junction(say, rows, os.path.join(args.results, "headline-paper.csv"))
        if name == "volume-precision.csv":
            exponent_range(say, rows, os.path.join(args.results, "headline-paper.csv"))
            precision_flatness(say, rows)
