"""The PyTorch CPU peer at scale (scripts/torch-peer.py), paired draw for draw with PrecisionLab's replay of
PyTorch CPU's arithmetic on the same θ."""
import glob, json, os
from collections import OrderedDict
from .data import PAPER_DRAWS, SWEEP_FIXED, fmt, load, p_range
from .stats import fisher, wilson

BIAS_FORWARD = {"addmm": "nn.Linear (addmm)", "after": "x @ W.t() + b"}
PAIRED_FILES = ("headline-pytorch-cpu.csv", "volume-layers-pytorch-cpu.csv", "zeros-pytorch-cpu.csv")


def tree_key(summation):
    """The key of a `tree:FILE` summation's trees (what they replay, on which CPU), or {}."""
    try:
        with open(summation[len("tree:"):]) as f:
            return json.load(f).get("key", {})
    except (OSError, ValueError):
        return {}


def peer_rows(results):
    """Every row of results/torch-peer-*.csv, with the file it came from."""
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "torch-peer-*.csv"))):
        rows += [dict(r, file=os.path.basename(path)) for r in load(path)]
    return rows


def replay_rows(results):
    """PrecisionLab's rows that replay PyTorch CPU's trees on PyTorch's θ with paired draws, keyed by
    (layers, width, batch, bias placement, all batches) and then run seed."""
    replay = {}
    for name in PAIRED_FILES:
        path = os.path.join(results, name)
        if not os.path.exists(path):
            continue
        for r in load(path):
            if not r["summation"].startswith("tree:") or r["init"] != "torch" or r["draws"] != "paired" or r["protocol"] != "paper":
                continue
            key = tree_key(r["summation"])
            bias = next((b for b, forward in BIAS_FORWARD.items() if forward == key.get("forward")), None)
            widths = r["widths"].split(",")
            if bias is None or len(set(widths[1:-1])) != 1:
                continue
            cell = (str(len(widths) - 2), widths[1], r["batch_size"], bias, r["all_batches"])
            replay.setdefault(cell, {})[r["run_seed"]] = dict(r, file=name, cpu=key.get("cpu", "?"))
    return replay


def compare_pair(peer, ours):
    """The fields on which a peer row and PrecisionLab's replay of the same θ differ (empty: they agree)."""
    zeros = peer["zeros_per_layer_pass"] if ours["all_batches"] == "true" else peer["zeros_per_layer"]
    fields = [("in_s", peer["in_s"], ours["in_s"]), ("first_difference", peer["first_difference"], ours["first_difference"]),
              ("zeros_per_layer", zeros, ours["zeros_per_layer"])]
    return [f"{name} {a} (PyTorch) against {b} (PrecisionLab)" for name, a, b in fields if a != b]


def peer_cells(results, paper):
    """Per cell of the peer files: its options, in S (k, n, Wilson interval), Fisher p against the paper's
    published values for that cell (sorted; empty if none), λ per layer over the whole pass, and the pairs
    compared with PrecisionLab's replay and how many agree; then every disagreement, as text."""
    rows = peer_rows(results)
    replay = replay_rows(results)
    groups = OrderedDict()
    for r in rows:
        groups.setdefault((r["layers"], r["width"], r["batch"], r["bias"], r["protocol"], r["all_batches"]), []).append(r)
    out, disagreements = [], []
    for (layers, width, batch, bias, protocol, all_batches), g in groups.items():
        k, n = sum(r["in_s"] == "1" for r in g), len(g)
        coords = {"L": layers, "n": width, "B": batch}
        published = [paper.get(sweep, {}).get("32-bit", {}).get(coords[sweep]) for sweep, fixed in SWEEP_FIXED.items()
                     if all(coords[a] == v for a, v in fixed.items())]
        per = [[int(c) for c in r["zeros_per_layer_pass"].split(";")] for r in g]
        paired, agree = 0, 0
        for mode in ("false", "true"):  # the replay stopping at the first difference, and over every batch
            ours = replay.get((layers, width, batch, bias, mode), {})
            if protocol != "paper" or (mode == "false" and all_batches == "true"):
                continue  # zeros over the batches examined are comparable only when both stopped at the first difference
            for r in g:
                mine = ours.get(r["seed"])
                if mine is None:
                    continue
                paired += 1
                differ = compare_pair(r, mine)
                if differ:
                    disagreements.append(f"L = {layers}, n = {width}, B = {batch}, bias {bias}, seed {r['seed']} "
                                         f"(`{mine['file']}`): " + "; ".join(differ))
                else:
                    agree += 1
        out.append({"layers": layers, "width": width, "batch": batch, "bias": bias, "protocol": protocol, "k": k, "n": n,
                    "interval": wilson(k, n), "lambda": [sum(d[i] for d in per) / n for i in range(len(per[0]))],
                    "paper": sorted(fisher(k, n, round(v * PAPER_DRAWS), PAPER_DRAWS) for v in published if v is not None),
                    "paired": paired, "agree": agree})
    return out, disagreements


def peer_section(say, results, paper):
    """The peer's share in S per cell beside the paper, λ per layer over the whole pass, and every pair with
    PrecisionLab's replay on the same θ compared field by field; every disagreement listed."""
    table, disagreements = peer_cells(results, paper)
    if not table:
        return
    say("### The PyTorch CPU peer at scale, draw for draw\n")
    say("`scripts/torch-peer.py` runs the protocol in PyTorch itself (one thread; draw i is `torch.manual_seed(i)` then the "
        "`nn.Linear` layers in order, PyTorch's default initialisation; ReLU'(0) = 0 and 1 from one forward pass; the first "
        "layer's weight gradients compared with `torch.equal`; the paper protocol sums gradients over the batches and sets "
        "the gradient at a zero to α). After the first difference its forward pass goes on alone, so every draw also has "
        "the exact zeros per layer over the whole pass (λ). Each draw is paired with PrecisionLab's replay of the same "
        "arithmetic (`--summation tree:FILE --init torch --paired`) on the same θ wherever one was run (a draw can pair with "
        "a replay that stopped at the first difference and with one over every batch: two pairs), and each pair compared "
        "field by field (in S, first differing batch, zeros per layer over the batches both examined).\n")
    say("| L | n | B | bias | protocol | draws | in S | paper p | λ per layer (whole pass) | pairs | agree |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in table:
        lo, hi = c["interval"]
        against = p_range(c["paper"])
        say(f"| {c['layers']} | {c['width']} | {c['batch']} | {BIAS_FORWARD[c['bias']]} | {c['protocol']} | {c['n']} | "
            f"{c['k']}/{c['n']} = {fmt(c['k'] / c['n'])} [{fmt(lo)}, {fmt(hi)}] | {against} | "
            + " / ".join(f"{x:.3f}" for x in c["lambda"]) + f" | {c['paired']} | {c['agree']} |")
    say("")
    if disagreements:
        say(f"Pairs that disagree ({len(disagreements)}), every one:\n")
        for d in disagreements:
            say(f"- {d}")
        say("")
    elif sum(c["paired"] for c in table):
        say("Every pair agrees: PyTorch and PrecisionLab's replay found the same draws in S, at the same batch, with the same "
            "exact zeros per layer.\n")
