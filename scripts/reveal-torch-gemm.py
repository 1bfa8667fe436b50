#!/usr/bin/env python3
"""Reveal the summation trees of PyTorch's CPU matrix products for an MLP's layers.

For each Linear layer of the model (widths W0,...,WL) and batch size, and for each product autograd
runs (the forward `addmm(b, x, Wᵀ)`, the input gradient `dY·W`, the weight gradient `dYᵀ·X`), this
finds the order in which every output's sum of products (and the bias) is added, in the manner of
FPRev (Xie et al., USENIX ATC 2025): leaf p carries 2^40, leaf q carries -2^40 and every other leaf
1, so the output counts the ones outside the subtree where p and q meet (the ones inside are absorbed
by 2^40 and cancelled with it). One product call measures a whole matrix of pairs at once (the rows
of one operand name p, the columns of the other name q), so the full matrix of subtree sizes costs a
few calls.

The sizes are then matched against PrecisionLab's summation family: `sequential`, `blocked:KC`
(each block of KC products summed from zero, the block sums added in order) or `lanes:L` (L
accumulators, lane l summing products l, l+L, ...; the lanes then added by halving), with the bias `first`
(the running total starts at the bias, BLAS's beta = 1) or `last`, fused (one rounding per
multiply-add) or not (a separate probe). A product whose tree is not in the family is reported as
such and the script exits 3: it never stores a guess.

Output: a JSON file (`--out`) that `precisionlab ... --summation tree:FILE` replays, keyed by the CPU
model, instruction set, PyTorch, MKL and thread count it was read on.

Usage: reveal-torch-gemm.py --widths 784,256,256,256,10 [--widths ...] --batch 256 [--batch 96] [--threads 1]
       [--bias linear|after] --out F
"""
import argparse
import json
import platform
import re
import sys

import numpy as np
import torch

BIG = 2.0 ** 40


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mkl_version():
    m = re.search(r"Math Kernel Library Version ([0-9.]+)", torch.__config__.show())
    return m.group(1) if m else "none"


BIAS_AFTER = False


def run_linear(x, w, b, dy):
    """The products autograd runs for nn.Linear (or, with --bias after, for `x @ Wᵀ + b`): returns
    (forward, input gradient, weight gradient)."""
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    y = x @ w.t() + b if BIAS_AFTER else torch.nn.functional.linear(x, w, b)
    y.backward(dy)
    return y.detach(), x.grad.detach(), w.grad.detach()


def shape(role, batch, fan_in, fan_out):
    """(m, n, k) of the product autograd runs for this role."""
    return {
        "forward": (batch, fan_out, fan_in),
        "input": (batch, fan_in, fan_out),
        "weight": (fan_out, fan_in, batch),
    }[role]


def probe(role, batch, fan_in, fan_out, rows, q):
    """One product call: output row r's leaf rows[r] carries 2^40 (None: no leaf), leaf q carries
    -2^40 in every column (q = k is the bias); every other leaf 1. Returns the output [m, n]."""
    m, n, k = shape(role, batch, fan_in, fan_out)
    x = torch.ones(batch, fan_in)
    w = torch.ones(fan_out, fan_in)
    b = torch.ones(fan_out)
    dy = torch.ones(batch, fan_out)
    for r, p in enumerate(rows):
        if p is None:
            continue
        if role == "forward":
            x[r, p] = BIG  # out[i, j] = b[j] + sum_kk x[i, kk] w[j, kk]
        elif role == "input":
            dy[r, p] = BIG  # dX[i, kk] = sum_j dY[i, j] w[j, kk]
        else:
            dy[p, r] = BIG  # dW[j, kk] = sum_i dY[i, j] x[i, kk]
    if role == "forward":
        if q < k:
            w[:, q] = -BIG
        else:
            b[:] = -BIG
    elif role == "input":
        w[q, :] = -BIG
    else:
        x[q, :] = -BIG
    return run_linear(x, w, b, dy)[{"forward": 0, "input": 1, "weight": 2}[role]].numpy()


def subtree_sizes(role, batch, fan_in, fan_out, sample=24, seed=0):
    """The trees of one product, per class of output columns: returns [(columns, S)] where S[p, q] is
    the number of leaves below the node where leaves p and q meet (leaf k is the bias in the forward
    role). Columns are grouped by their answers to a sample of probes first, then every probe checks
    each column against its class: a column that disagrees stops the reveal."""
    m, n, k = shape(role, batch, fan_in, fan_out)
    leaves = k + (1 if role == "forward" else 0)
    ones = leaves - 2

    def sizes_for(q, p0):
        rows = [p0 + r if p0 + r < k and p0 + r != q else None for r in range(m)]
        out = probe(role, batch, fan_in, fan_out, rows, q)
        valid = [r for r, p in enumerate(rows) if p is not None]
        with np.errstate(invalid="ignore"):
            sizes = ones - out[valid, :] + 2
        if not np.all(np.isfinite(sizes)):
            raise SystemExit(f"{role} m={m} n={n} k={k}: a probe overflowed; the product is not a sum tree")
        return [rows[r] for r in valid], sizes.astype(np.int64)

    rng = np.random.default_rng(seed)
    sample_q = sorted(set([0, 1, k - 1, leaves - 1] + list(rng.integers(0, leaves, sample))))
    signature = [[] for _ in range(n)]
    for q in sample_q:
        for p0 in range(0, k, m):
            _, sizes = sizes_for(q, p0)
            for j in range(n):
                signature[j].append(sizes[:, j].tobytes())
    classes = {}
    for j in range(n):
        classes.setdefault(b"".join(signature[j]), []).append(j)
    groups = list(classes.values())
    reps = [g[0] for g in groups]
    member_of = {j: c for c, g in enumerate(groups) for j in g}
    result = [np.zeros((leaves, leaves), dtype=np.int64) for _ in groups]
    for q in range(leaves):
        for p0 in range(0, k, m):
            ps, sizes = sizes_for(q, p0)
            for j in range(n):
                if not np.array_equal(sizes[:, j], sizes[:, reps[member_of[j]]]):
                    raise SystemExit(f"{role} m={m} n={n} k={k}: column {j} differs from its class at leaf {q}")
            for c, rep in enumerate(reps):
                result[c][ps, q] = sizes[:, rep]
    for s in result:
        if role == "forward":
            s[k, :k] = s[:k, k]
        np.fill_diagonal(s, 0)
    return [(runs(g), s) for g, s in zip(groups, result)]


def runs(columns):
    """[[start, end), ...] for a sorted list of column indices."""
    out = []
    for j in columns:
        if out and out[-1][1] == j:
            out[-1][1] = j + 1
        else:
            out.append([j, j + 1])
    return out


def family_tree(k, order, bias):
    """PrecisionLab's order over k products as a tree: a leaf is an index (k is the bias), a node a
    pair (left, right) added left + right."""
    def chain(items):
        tree = None
        for item in items:
            tree = item if tree is None else (tree, item)
        return tree
    kind, _, arg = order.partition(":")
    if kind == "sequential":
        parts = [chain(range(k))]
    elif kind == "blocked":
        block = int(arg)
        parts = [chain(range(s, min(s + block, k))) for s in range(0, k, block)]
    elif kind == "lanes":
        # With the bias first, lane 0 starts at it (KernelOptions.SummationOrder.lanes).
        lanes = [chain(([k] if bias == "first" and l == 0 else []) + list(range(l, k, int(arg)))) for l in range(int(arg))]
        width = int(arg) // 2
        while width >= 1:
            lanes = [(lanes[l], lanes[l + width]) for l in range(width)]
            width //= 2
        parts = [lanes[0]]
    else:
        raise ValueError(order)
    if bias == "first" and kind == "lanes":
        return parts[0]
    if bias == "first":
        return chain([k] + parts) if kind != "sequential" else chain([k] + list(range(k)))
    total = chain(parts)
    return (total, k) if bias == "last" else total


def family_sizes(k, order, bias):
    """S[p, q] for the tree of family_tree: the number of leaves below the node where p and q meet."""
    leaves = k + (0 if bias is None else 1)
    s = np.zeros((leaves, leaves), dtype=np.int64)

    # Post-order without recursion: a sequential tree over k leaves is k deep (k = 1024 and more).
    below = {}
    stack = [(family_tree(k, order, bias), False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, tuple):
            below[id(node)] = [node]
            continue
        if not children_done:
            stack.append((node, True))
            stack.append((node[1], False))
            stack.append((node[0], False))
            continue
        left, right = below.pop(id(node[0])), below.pop(id(node[1]))
        size = len(left) + len(right)
        s[np.ix_(left, right)] = size
        s[np.ix_(right, left)] = size
        below[id(node)] = left + right
    return s


def match(sizes, k, has_bias):
    """The family member whose tree has these subtree sizes, or None."""
    observed = sizes.copy()
    np.fill_diagonal(observed, 0)
    # Candidate block sizes: where leaf 0's partners stop forming one chain.
    chain = [q for q in range(1, k) if observed[0, q] != q + 1]
    candidates = ["sequential"] + ([f"blocked:{chain[0]}"] if chain else [])
    candidates += [f"lanes:{n}" for n in (2, 4, 8, 16, 32, 64) if n < k]
    for order in candidates:
        for bias in (["last", "first"] if has_bias else [None]):
            if np.array_equal(family_sizes(k, order, bias), observed):
                return order, bias
    return None, None


def fused_probe(role, batch, fan_in, fan_out, j):
    """True when the multiply-adds are fused: two products, the second inexact, the first its rounding
    negated; a fused sum leaves the product's rounding error, an unfused one 0. The terms are leaves 0
    and j, j being the next in leaf 0's chain (one accumulator: a lane or a block)."""
    a = np.float32(1 + 2 ** -12)
    p = float(np.float32(a) * np.float32(a))
    x = torch.zeros(batch, fan_in)
    w = torch.zeros(fan_out, fan_in)
    b = torch.zeros(fan_out)
    dy = torch.zeros(batch, fan_out)
    if role == "forward":
        x[:, 0], w[:, 0] = -p, 1.0
        x[:, j], w[:, j] = float(a), float(a)
        out = run_linear(x, w, b, dy)[0]
    elif role == "input":
        dy[:, 0], w[0, :] = -p, 1.0
        dy[:, j], w[j, :] = float(a), float(a)
        out = run_linear(x, w, b, dy)[1]
    else:
        dy[0, :], x[0, :] = -p, 1.0
        dy[j, :], x[j, :] = float(a), float(a)
        out = run_linear(x, w, b, dy)[2]
    return out.numpy()


def fusion(out, columns):
    """Fused (True), unfused (False) or neither (None: the columns disagree) from fused_probe's output."""
    values = set(np.concatenate([out[:, a:b].flatten() for a, b in columns]).tolist())
    if values == {0.0}:
        return False
    if len(values) == 1:
        return True
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", action="append", required=True,
                    help="layer widths, e.g. 784,256,256,256,10 (repeatable: every model's products in one file)")
    ap.add_argument("--batch", type=int, action="append", required=True, help="a batch size (repeatable)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bias", choices=["linear", "after"], default="linear",
                    help="the forward as nn.Linear computes it (addmm: the bias in the product) or as x @ W.t() + b")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    global BIAS_AFTER
    BIAS_AFTER = args.bias == "after"
    torch.set_num_threads(args.threads)
    models = [[int(w) for w in widths.split(",")] for widths in args.widths]
    products = {}
    failed = False
    for batch, widths in ((b, w) for b in args.batch for w in models):
        for fan_in, fan_out in zip(widths, widths[1:]):
            for role in ("forward", "input", "weight"):
                m, n, k = shape(role, batch, fan_in, fan_out)
                if (role, m, n, k) in products:
                    continue
                parts = []
                for columns, sizes in subtree_sizes(role, batch, fan_in, fan_out):
                    order, bias = match(sizes, k, role == "forward")
                    successor = [q for q in range(1, k) if sizes[0, q] == 2]
                    fused = fusion(fused_probe(role, batch, fan_in, fan_out, successor[0]), columns) if successor else False
                    where = f"{role:8s} m={m} n={n} k={k} columns {columns}: "
                    if order is None or fused is None:
                        print(where + "not in PrecisionLab's summation family", file=sys.stderr)
                        failed = True
                        continue
                    print(where + f"{order}, {'fused' if fused else 'unfused'}" + (f", bias {bias}" if bias else ""))
                    part = {"columns": columns, "summation": order, "fused": bool(fused)}
                    if bias:
                        part["bias"] = bias
                    parts.append(part)
                products[(role, m, n, k)] = {"role": role, "m": m, "n": n, "k": k, "parts": parts}
    if failed:
        print(f"reveal-torch-gemm: a product's tree is not in PrecisionLab's summation family; nothing written to {args.out}",
              file=sys.stderr)
        sys.exit(3)
    products = list(products.values())
    key = {
        "library": "pytorch-cpu",
        "cpu": cpu_model(),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "mkl": mkl_version(),
        "threads": args.threads,
        "forward": "nn.Linear (addmm)" if args.bias == "linear" else "x @ W.t() + b",
    }
    with open(args.out, "w") as f:
        json.dump({"key": key, "products": products}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(products)} products to {args.out}")


if __name__ == "__main__":
    main()
