"""Prints the dtype each operation PrecisionLab's networks have returns under PyTorch's CPU autocast
(binary16 and bfloat16): the evidence behind the operation classes of docs/PRECISION-POLICIES.md.

Run: python3 scripts/autocast-dtypes.py (torch from a virtual environment)."""
import torch

x = torch.randn(2, 3, 8, 8)
conv, bn, lin = torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.Linear(64, 5)
print(f"torch {torch.__version__}")
for dt in (torch.bfloat16, torch.float16):
    with torch.autocast("cpu", dtype=dt):
        h = conv(x)
        b = bn(h)
        r = torch.relu(b)
        p = torch.nn.functional.max_pool2d(r, 2)
        a = torch.nn.functional.avg_pool2d(r, 2)
        s = p + a
        g = torch.nn.functional.gelu(s)
        d = torch.nn.functional.dropout(g, 0.1)
        z = lin(d.flatten(1))
        ce = torch.nn.functional.cross_entropy(z, torch.tensor([0, 1]))
        mixed = h.float()[:, :, :4, :4] + p
    ops = dict(conv2d=h, batch_norm=b, relu=r, max_pool2d=p, avg_pool2d=a, add=s, gelu=g, dropout=d, linear=z, cross_entropy=ce)
    ops["add (binary32 + low)"] = mixed
    print(f"autocast cpu {dt}: " + ", ".join(f"{k} {v.dtype}".replace("torch.", "") for k, v in ops.items()))
