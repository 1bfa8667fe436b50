#!/usr/bin/env python3
"""The grid PyTorch's biases live on, as a baseline for the zeros' record (--zero-operations): for each
seed, the headline MLP's layers built as `torch.manual_seed(seed)` then nn.Linear in order (what
PrecisionLab's `--init torch --seed SEED` reproduces bit for bit), and per layer the trailing zero bits
of every bias's binary32 significand (23 minus the bits after the leading one) and the mean |bias|.

usage: python3 scripts/bias-grid-baseline.py --seeds 100 --widths 784,256,256,256,10 > results/bias-grid-pytorch-init.csv
(needs torch)"""
import argparse
import struct
import sys

import torch


def trailing_zeros(x):
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    fraction = bits & 0x7FFFFF
    if fraction == 0:
        return 23
    return (fraction & -fraction).bit_length() - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--widths", default="784,256,256,256,10")
    args = ap.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    print("seed,layer,units,mean_trailing_zeros,mean_abs_bias")
    for seed in range(args.seeds):
        torch.manual_seed(seed)
        layers = [torch.nn.Linear(a, b) for a, b in zip(widths, widths[1:])]
        for index, layer in enumerate(layers[:-1]):  # the layers whose outputs meet a ReLU
            biases = [float(v) for v in layer.bias.detach().tolist()]
            tz = [trailing_zeros(b) for b in biases if b != 0]
            print(f"{seed},{index},{len(biases)},{sum(tz) / len(tz):.6f},{sum(abs(b) for b in biases) / len(biases):.6f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
