#!/usr/bin/env python3
"""PyTorch peer of precisionlab-bench's training section: torch.optim steps on one tensor of --count
parameters, one thread, ns per parameter, the best of 5 timings of 10 steps (after one warm-up step that
allocates the state). Hyper-parameters as the bench's rows: SGD momentum 0.9, weight decay 5e-4; Adam
PyTorch's defaults with lr 1e-3; AdamW weight decay 0.01.

    python3 torch_optimizers.py --count 1048576
prints lines `RULE DTYPE ns_per_parameter=X`.
"""
import argparse
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1 << 20)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rules = {
        "sgd": lambda p: torch.optim.SGD([p], lr=1e-3, momentum=0.9, weight_decay=5e-4),
        "adam": lambda p: torch.optim.Adam([p], lr=1e-3),
        "adamw": lambda p: torch.optim.AdamW([p], lr=1e-3, weight_decay=0.01),
    }
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        for name, make in rules.items():
            g = torch.Generator().manual_seed(7)
            values = (torch.rand(args.count, generator=g, dtype=torch.float64) - 0.5).to(dtype)
            p = torch.nn.Parameter(values.clone())
            p.grad = values * 0.01
            opt = make(p)
            opt.step()
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(args.steps):
                    opt.step()
                best = min(best, time.perf_counter() - start)
            print(f"{name} {str(dtype).replace('torch.', '')} ns_per_parameter={best / (args.steps * args.count) * 1e9:.3f}")


if __name__ == "__main__":
    main()
