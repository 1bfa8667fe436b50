#!/usr/bin/env python3
"""The ReLU'(0) bifurcation protocol run by PyTorch on the CPU, one CSV row per draw, paired θ for θ with
PrecisionLab's `--init torch --paired` cells.

Draw i calls torch.manual_seed(SEED + i) and builds Linear(784, n), [Linear(n, n)] x (L - 1), Linear(n, 10)
in that order with PyTorch's default initialisation, so its θ is the θ of PrecisionLab's draw with
`run_seed` SEED + i under `--init torch --paired --seed SEED` (checked bit for bit by PrecisionLab's
TorchArithmeticTests). Backprop with ReLU'(0) = α, α = 0 and α = 1, from one
forward pass (which does not depend on α) through two backward passes; MNIST training batches in file
order, pixels k/255 in binary32; mean cross-entropy; the first Linear's weight gradients (autograd.grad)
compared with torch.equal (−0 equals +0; a NaN counts as a difference).

--protocol paper (PrecisionLab's `--protocol paper`): the custom backward SETS the gradient at an exact
zero to α, and gradients are never reset, so running sums are compared. --protocol corrected: grad_in =
α·grad_out at a zero, each batch's own gradient.
--bias addmm: nn.Linear (torch.addmm: the bias is the product's output C, β = 1); --bias after:
x @ W.t() + b (the bias added to the finished product).

The comparison stops at the first batch that differs (the draw is in S); the forward pass then continues
alone over the rest of the pass, so every row also has the exact zeros per ReLU layer over the whole pass
(`zeros_per_layer_pass`, λ's sample) beside those over the batches compared (`zeros_per_layer`, as
PrecisionLab's paper-protocol rows count them; with --all-batches both cover the pass).

Rows are appended and flushed one draw at a time; rerunning the same command skips the draws the file
already holds for the same configuration, so an interrupted run loses nothing finished.

usage: torch-peer.py --mnist DIR --runs 1000 --out results/torch-peer-headline.csv
       [--seed 0] [--first 0] [--layers 3] [--width 256] [--batch 256] [--bias addmm|after]
       [--protocol paper|corrected] [--all-batches] [--threads 1]
(needs torch and numpy; one thread by default, as PrecisionLab's replayed trees were read)"""
import argparse
import csv
import gzip
import os
import platform
import sys
import time

import numpy as np
import torch

COLUMNS = ["seed", "layers", "width", "batch", "bias", "protocol", "all_batches", "in_s", "first_difference",
           "batches_examined", "zeros_per_layer", "zeros_per_layer_pass", "torch", "threads", "isa", "cpu",
           "wall_seconds"]


class Kink(torch.autograd.Function):
    """max(x, 0) whose backward applies the rule of the run at an exact zero input, with the α in force
    when the backward pass runs (one forward pass serves both α: it does not depend on α)."""

    alpha = 0.0

    @staticmethod
    def forward(ctx, x, paper):
        ctx.save_for_backward(x)
        ctx.paper = paper
        return torch.clamp(x, min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        out = torch.where(x > 0, grad, torch.zeros_like(grad))
        at_zero = torch.full_like(grad, Kink.alpha) if ctx.paper else grad * Kink.alpha
        return torch.where(x == 0, at_zero, out), None


def build(layers, width):
    sizes = [784] + [width] * layers + [10]
    return [torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]


def forward(linears, x, paper, bias, zeros):
    """Logits; adds the exact zeros at each ReLU input to `zeros`."""
    h = x
    for index, layer in enumerate(linears):
        if bias == "addmm":
            h = layer(h)
        else:
            h = h @ layer.weight.t() + layer.bias
        if index < len(linears) - 1:
            zeros[index] += int((h == 0).sum())
            h = Kink.apply(h, paper)
    return h


def mnist(folder):
    def read(stem):
        for name in (stem + ".gz", stem):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                raw = gzip.open(path).read() if name.endswith(".gz") else open(path, "rb").read()
                dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(raw[3])]
                return np.frombuffer(raw[4 + 4 * raw[3]:], dtype=np.uint8).reshape(dims)
        sys.exit(f"torch-peer.py: no {stem}[.gz] in {folder}")
    x = read("train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32)
    y = read("train-labels-idx1-ubyte").astype(np.int64)
    return torch.from_numpy(x) / 255.0, torch.from_numpy(y)


def draw(seed, a, X, Y, paper):
    """(first differing batch or None, batches compared, zeros per layer over them, over the pass)."""
    torch.manual_seed(seed)
    linears = build(a.layers, a.width)
    first_weight = linears[0].weight
    sums = [None, None]
    compared = [0] * a.layers
    whole = [0] * a.layers
    first, examined = None, 0
    for b, s in enumerate(range(0, X.shape[0], a.batch)):
        x, y = X[s: s + a.batch], Y[s: s + a.batch]
        counts = [0] * a.layers
        if first is not None and not a.all_batches:
            with torch.no_grad():
                forward(linears, x, paper, a.bias, counts)
            whole = [w + c for w, c in zip(whole, counts)]
            continue
        loss = torch.nn.functional.cross_entropy(forward(linears, x, paper, a.bias, counts), y)
        grads = []
        for copy, alpha in enumerate((0.0, 1.0)):
            Kink.alpha = alpha
            (g,) = torch.autograd.grad(loss, [first_weight], retain_graph=copy == 0)
            if paper:  # never reset: the running sum, as .grad accumulates it (grad += new)
                sums[copy] = g if sums[copy] is None else sums[copy].add_(g)
                g = sums[copy]
            grads.append(g)
        compared = [w + c for w, c in zip(compared, counts)]
        whole = [w + c for w, c in zip(whole, counts)]
        examined += 1
        if first is None and not torch.equal(grads[0], grads[1]):
            first = b
    return first, examined, compared, whole


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", required=True, help="folder of train-images-idx3-ubyte[.gz]")
    ap.add_argument("--out", required=True, help="CSV to append to (created with a header)")
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0, help="draw i uses torch.manual_seed(seed + i)")
    ap.add_argument("--first", type=int, default=0, help="the first draw index to run (to split a run)")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--bias", choices=("addmm", "after"), default="addmm")
    ap.add_argument("--protocol", choices=("paper", "corrected"), default="paper")
    ap.add_argument("--all-batches", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.runs < 1 or a.layers < 1 or a.width < 1 or a.batch < 1 or a.threads < 1 or a.seed < 0 or a.first < 0:
        sys.exit("torch-peer.py: --runs, --layers, --width, --batch, --threads must be positive; --seed, --first non-negative")
    torch.set_num_threads(a.threads)
    X, Y = mnist(a.mnist)
    config = {"layers": str(a.layers), "width": str(a.width), "batch": str(a.batch), "bias": a.bias,
              "protocol": a.protocol, "all_batches": str(a.all_batches).lower()}
    done = set()
    if os.path.exists(a.out) and os.path.getsize(a.out) > 0:
        with open(a.out, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != COLUMNS:
                sys.exit(f"torch-peer.py: {a.out} has other columns than this script writes; use another --out")
            for row in reader:
                if all(row[k] == v for k, v in config.items()):
                    done.add(int(row["seed"]))
    cpu = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), platform.processor())
    fresh = not os.path.exists(a.out) or os.path.getsize(a.out) == 0
    with open(a.out, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        if fresh:
            writer.writeheader()
        for i in range(a.first, a.first + a.runs):
            seed = a.seed + i
            if seed in done:
                continue
            t0 = time.perf_counter()
            first, examined, compared, whole = draw(seed, a, X, Y, a.protocol == "paper")
            writer.writerow({**config, "seed": seed, "in_s": int(first is not None),
                             "first_difference": "" if first is None else first, "batches_examined": examined,
                             "zeros_per_layer": ";".join(map(str, compared)),
                             "zeros_per_layer_pass": ";".join(map(str, whole)), "torch": torch.__version__,
                             "threads": torch.get_num_threads(), "isa": torch.backends.cpu.get_cpu_capability(),
                             "cpu": cpu, "wall_seconds": f"{time.perf_counter() - t0:.3f}"})
            f.flush()


if __name__ == "__main__":
    main()
