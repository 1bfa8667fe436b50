#!/usr/bin/env python3
"""How many gradient entries a binary16 policy flushes to zero, with and without loss scaling.

For the first N MNIST batches of 256 and one initial θ (seed 0), runs `precisionlab grad` on the MLP
784-256-256-10 under binary32 (no policy) and under `--policy autocast-cuda-fp16` with `--loss-scale 1`
and `65536`, and `--policy autocast-cuda-bf16`, and counts over every parameter gradient: the entries
that are exactly zero, and those zero under the policy while binary32's are not (flushed). The gradients
`grad` writes are unscaled (divided by the loss scale), so all cells compare the same quantity.

usage: policy-underflow.py PRECISIONLAB DATA_DIR [BATCHES]   (numpy and safetensors in the Python)"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file

CELLS = [("none", "1"), ("autocast-cuda-fp16", "1"), ("autocast-cuda-fp16", "65536"), ("autocast-cuda-bf16", "1")]


def gradients(binary, data, batch, policy, scale, directory):
    out = os.path.join(directory, f"{policy}-{scale}-{batch}.safetensors")
    subprocess.run([binary, "grad", "--widths", "784,256,256,10", "--batch-size", "256", "--batch-index", str(batch), "--seed", "0",
                    "--policy", policy, "--loss-scale", scale, "--data", "mnist", "--data-dir", data, "--out", out, "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return load_file(out)


def main():
    binary, data = sys.argv[1], sys.argv[2]
    batches = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    totals = {cell: [0, 0, 0] for cell in CELLS}  # entries, zero, flushed (zero here, not in binary32)
    with tempfile.TemporaryDirectory() as directory:
        for batch in range(batches):
            reference = gradients(binary, data, batch, "none", "1", directory)
            for cell in CELLS:
                g = reference if cell == ("none", "1") else gradients(binary, data, batch, *cell, directory)
                for name, r in reference.items():
                    v = g[name]
                    totals[cell][0] += v.size
                    totals[cell][1] += int((v == 0).sum())
                    totals[cell][2] += int(((v == 0) & (r != 0)).sum())
    print(f"Parameter-gradient entries over the first {batches} batches of 256 (MNIST, MLP 784-256-256-10, θ from seed 0):\n")
    print("| policy | loss scale | entries | exactly zero | zero where binary32's is not |")
    print("|---|---|---:|---:|---:|")
    for (policy, scale), (n, zero, flushed) in totals.items():
        print(f"| {policy} | {scale} | {n} | {zero} ({zero / n:.2%}) | {flushed} ({flushed / n:.2%}) |")


if __name__ == "__main__":
    main()
