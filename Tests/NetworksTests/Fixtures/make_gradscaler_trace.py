#!/usr/bin/env python3
"""PyTorch GradScaler's loss-scale trace on a recorded sequence of gradient norms, as test data for
LossScaling (LossScalingTests).

For each configuration (GradScaler's init_scale, growth_factor, backoff_factor, growth_interval) and each
step t: the gradient a binary16 backward pass would produce, g = half(float32(norm_t) * scale) (infinite
when it overflows binary16), is given to a one-element binary32 parameter; scaler.step(SGD, lr 1) and
scaler.update() then run as in training. Recorded per step: the scale used and whether the step was
skipped (the parameter unchanged). The norms are a fixed sequence (log-uniform from 1e-3 to 1e3, seed 7),
kept in the file. Numbers are written as Python's shortest round-trip strings (a JSON reader may not parse
decimal numbers exactly).

Writes gradscaler-trace.json beside this script. Usage: make_gradscaler_trace.py (needs torch)."""
import json
import os
import random

import torch

CONFIGS = [
    {"init_scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3},
    {"init_scale": 1024.0, "growth_factor": 3.0, "backoff_factor": 0.3, "growth_interval": 2},
    {"init_scale": 2.0 ** 24, "growth_factor": 1.7, "backoff_factor": 0.55, "growth_interval": 4},
]


def main():
    rng = random.Random(7)
    norms = [10 ** rng.uniform(-3, 3) for _ in range(80)]
    traces = []
    for config in CONFIGS:
        p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float32))
        opt = torch.optim.SGD([p], lr=1.0)
        scaler = torch.amp.GradScaler("cpu", **config)
        scales, skipped = [], []
        for norm in norms:
            scaler.scale(torch.ones(()))  # what scaler.scale(loss) does first: sets up the scale
            scale = scaler.get_scale()
            scales.append(scale)
            g32 = torch.tensor(norm, dtype=torch.float32) * torch.tensor(scale, dtype=torch.float32)
            p.grad = g32.half().float().reshape(1)
            before = p.detach().clone()
            scaler.step(opt)
            scaler.update()
            skipped.append(bool(torch.equal(before, p.detach())))
        traces.append({"config": {k: repr(v) for k, v in config.items()}, "scales": [repr(x) for x in scales], "skipped": skipped,
                       "final": repr(scaler.get_scale())})
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "gradscaler-trace.json"), "w") as f:
        json.dump({"torch": torch.__version__, "norms": [repr(x) for x in norms], "traces": traces}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
