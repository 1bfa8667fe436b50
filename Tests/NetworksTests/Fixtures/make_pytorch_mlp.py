#!/usr/bin/env python3
"""Writes pytorch_mlp_4_3_2.safetensors as safetensors.torch.save_file(model.state_dict(), path) would for
torch.nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2)) in float32, using numpy only (no torch):
keys 0.weight [3, 4], 0.bias [3], 2.weight [2, 3], 2.bias [2], values k/8 - 1 in row-major order.
Also one F16 and one BF16 tensor to check those decoders. Run: python3 make_pytorch_mlp.py"""
import json, os, struct
import numpy as np

tensors = {
    "0.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 8 - 1,
    "0.bias": np.array([0.5, -0.25, 0.125], dtype=np.float32),
    "2.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 8 - 1,
    "2.bias": np.array([1.0, -1.0], dtype=np.float32),
    "half": np.array([1.0, -2.5, 65504.0, 2.0**-24], dtype=np.float16),
}
bf16 = (np.array([1.0, -3.140625, 2.0**-133], dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)

header, chunks, offset = {}, [], 0
for name in sorted(tensors):
    data = tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes()
    dtype = {"float32": "F32", "float16": "F16"}[str(tensors[name].dtype)]
    header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
    chunks.append(data)
    offset += len(data)
data = bf16.astype("<u2").tobytes()
header["brain"] = {"dtype": "BF16", "shape": [3], "data_offsets": [offset, offset + len(data)]}
chunks.append(data)
header["__metadata__"] = {"format": "pt"}
raw = json.dumps(header, separators=(",", ":")).encode()
raw += b" " * (-len(raw) % 8)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_mlp_4_3_2.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
print(path)
