#!/usr/bin/env python3
"""What PyTorch's CPU computes for the headline MLP, as test data for `--summation tree:FILE`.

torch.manual_seed(SEED), nn.Sequential(Linear 784-256, ReLU, 256-256, ReLU, 256-256, ReLU, 256-10)
with PyTorch's default initialisation, one thread; the first BATCHES batches of 256 MNIST training
images in file order, pixels uint8/255 in binary32. For every batch the SHA-256 of each Linear
layer's output (binary32 little-endian bytes); for the first BACKWARD batches also the gradient of
the mean cross-entropy with respect to the logits (stored, so the replay starts from PyTorch's own)
and the SHA-256 of each weight gradient backpropagated from it.

Writes torch-mlp-arithmetic.json (hashes, key of the CPU and library) and
torch-mlp-arithmetic.safetensors (the logits' gradients) beside this script.

Usage: make_torch_mlp_arithmetic.py MNIST_DIR   (the folder of train-images-idx3-ubyte.gz)
"""
import gzip
import hashlib
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

SEED = 20211206
BATCH = 256
BATCHES = 20
BACKWARD = 4
WIDTHS = [784, 256, 256, 256, 10]


def images(folder):
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return data, labels


def digest(t):
    return hashlib.sha256(t.detach().contiguous().numpy().astype("<f4").tobytes()).hexdigest()


def main():
    torch.set_num_threads(1)
    data, labels = images(sys.argv[1])
    torch.manual_seed(SEED)
    layers = []
    for fan_in, fan_out in zip(WIDTHS, WIDTHS[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    forward, backward, gradients = [], [], {}
    for b in range(BATCHES):
        x = torch.from_numpy(data[b * BATCH:(b + 1) * BATCH].astype(np.float32)) / 255.0
        y = torch.from_numpy(labels[b * BATCH:(b + 1) * BATCH].astype(np.int64))
        outputs = []
        h = x
        for module in model:
            h = module(h)
            if isinstance(module, torch.nn.Linear):
                h.retain_grad()
                outputs.append(h)
        forward.append([digest(z) for z in outputs])
        if b < BACKWARD:
            logits = outputs[-1]
            loss = torch.nn.functional.cross_entropy(logits, y)
            (dlogits,) = torch.autograd.grad(loss, logits, retain_graph=True)
            model.zero_grad()
            logits.backward(dlogits)
            gradients[f"dlogits-{b}"] = dlogits.numpy().astype(np.float32)
            backward.append([digest(layer.weight.grad) for layer in linears])
    here = os.path.dirname(os.path.abspath(__file__))
    key = {"torch": torch.__version__, "isa": torch.backends.cpu.get_cpu_capability(), "threads": 1}
    with open("/proc/cpuinfo") as f:
        key["cpu"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown")
    with open(os.path.join(here, "torch-mlp-arithmetic.json"), "w") as f:
        json.dump({"key": key, "seed": SEED, "batch": BATCH, "widths": WIDTHS, "forward": forward, "weight_gradients": backward}, f, indent=1)
        f.write("\n")
    save_file(gradients, os.path.join(here, "torch-mlp-arithmetic.safetensors"))


if __name__ == "__main__":
    main()
