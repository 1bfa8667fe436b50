#!/usr/bin/env python3
"""PyTorch's own default initialisations, for PrecisionLab's `--init torch` test (NetworksTests).

Writes torch-init.safetensors beside this script (or the path given): for each case, the
parameters PyTorch draws after torch.manual_seed(seed), named CASE.NAME with the state_dict names:
  mlp-SEED.*   nn.Sequential of nn.Linear 784-16-10 (ReLUs draw nothing), SEED 5259461931318015,
               a 64-bit seed as PrecisionLab's trials derive them (PyTorch keeps its low 32 bits)
  mlp-0.*      the same network after torch.manual_seed(0)
  conv-3.*     nn.Conv2d(3, 8, 3) after torch.manual_seed(3)
The seeds and shapes are in the metadata. Run with a Python that has torch and safetensors:
  python3 Tests/NetworksTests/Fixtures/make_torch_init.py [OUT]
"""
import os
import sys

import torch
from safetensors.torch import save_file

CASES = [
    ("mlp-5259461931318015", 5259461931318015, lambda: torch.nn.Sequential(
        torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))),
    ("mlp-0", 0, lambda: torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))),
    ("conv-3", 3, lambda: torch.nn.Conv2d(3, 8, 3)),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch-init.safetensors")
    tensors = {}
    for name, seed, build in CASES:
        torch.manual_seed(seed)
        module = build()
        for key, value in module.state_dict().items():
            tensors[f"{name}.{key}"] = value.detach().contiguous()
    metadata = {"torch": torch.__version__, "cases": ", ".join(f"{n} seed {s}" for n, s, _ in CASES)}
    save_file(tensors, out, metadata=metadata)
    print(f"wrote {len(tensors)} tensors to {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
