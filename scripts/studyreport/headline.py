"""The headline cell section."""
import os, re
from .arithmetic import PAIRED_ARITHMETIC, SWEEPS_UNDER_TREES, arithmetic_cells, sweep_under_trees, zero_operations, zeros_per_pass
from .peer import peer_section
from .data import BITS, shared_note, PAPER_DRAWS, cells, cpu_peer_cells, fmt, load, pvalue, read_text, row_for
from .stats import fisher, wilson


def headline_section(say, args, paper, missing):
    """The headline cell (L = 3, n = 256, B = 256) under both protocols and every arithmetic file, then what its
    table says: deviations and findings."""
    # The headline cell, both protocols.
    say("## The headline cell: L = 3, n = 256, B = 256\n")
    say("The paper reports this cell three times (one per sweep): .463 (depth), .478 (width), .488 (batch) at")
    say("32 bits. We compare with each.\n")
    files = [("paper", "headline-paper.csv"), ("corrected", "headline-corrected.csv"), ("paper", "headline-summation.csv"),
             ("paper", "headline-tf32.csv"), ("paper", "headline-init-torch.csv"), ("paper", "headline-bias-first.csv"),
             ("paper", "headline-pytorch-cpu.csv"), ("paper", "headline-theta-grid.csv"), ("paper", "headline-tensor-core.csv")]
    sized = {"headline-summation.csv": 300, "headline-tf32.csv": 300, "headline-init-torch.csv": 400, "headline-bias-first.csv": 400,
             "headline-pytorch-cpu.csv": 400, "headline-theta-grid.csv": 400, "headline-tensor-core.csv": 300}
    say("Seconds per draw: the mean of the rows' `wall_seconds` (one core per draw, two draws at a time).\n")
    say("| protocol | format | accumulate | summation (product operands) | ours | s/draw | paper (sweep) | p | agree |")
    say("|---|---|---|---|---|---|---|---|---|")
    partial = []
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
            shared = shared_note(rows, name, args.results)
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
                say(f"| {protocol} | {fmt_} | {acc} | {order} | {ours} | {per} | {note} | | {shared.strip()} |")
            for sweep, v in published:
                ours, theirs, p, agree = row_for(k, n, v)
                say(f"| {protocol} | {fmt_} | {acc} | {order} | {ours} | {per} | {theirs} ({sweep} sweep) | {p} | {agree}{shared} |")
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
    zeros_per_pass(say, args.results, paper)
    peer_section(say, args.results, paper)
    zero_operations(say, os.path.join(args.results, "zero-operations-pytorch-cpu.csv"))
    for sweep, name, _ in SWEEPS_UNDER_TREES:
        sweep_under_trees(say, sweep, os.path.join(args.results, name), os.path.join(args.results, "headline-pytorch-cpu.csv"), paper)
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
