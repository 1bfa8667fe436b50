#!/usr/bin/env python3
"""PyTorch peer of precisionlab-bench's layers section: one layer on its own, forward and backward
(torch.autograd.grad of the output against the input and every parameter, with a fixed gradient from
above), one thread, the best of --repeats timings of each, at the bench's shapes: [batch, 64, 32, 32]
for the convolution (3x3, 64 to 64, padding 1, bias), training-mode batch norm, ReLU, leaky ReLU (slope
0.01), ReLU6, GELU (exact) and both max pools
(2x2; 3x3 stride 2 padding 1), [batch, 512, 4, 4] for global average pooling, [batch, 65536] for
dropout (p 0.5, training), [batch, 4096] for the dense layer (4096 to 1024).

    python3 torch_layers.py --batch 128
prints lines `KIND DTYPE forward_ms=X backward_ms=Y` (KIND as the bench names it, spaces as '_'); a
dtype PyTorch's CPU kernels lack for a layer prints nothing for it.
"""
import argparse
import time

import torch
import torch.nn.functional as F


def layers(batch, dtype):
    def t(*shape, zeros=False):
        u = torch.rand(*shape, dtype=torch.float64)
        v = 2 * u - 1
        if zeros:
            v[u < 0.1] = 0
        return v.to(dtype)

    conv_w, conv_b = t(64, 64, 3, 3), t(64)
    bn_w, bn_b = torch.ones(64, dtype=dtype), torch.zeros(64, dtype=dtype)
    lin_w, lin_b = t(1024, 4096), t(1024)
    image = (batch, 64, 32, 32)
    return {
        "conv_3×3": (image, [conv_w, conv_b], lambda x, p: F.conv2d(x, p[0], p[1], padding=1)),
        "batch_norm": (image, [bn_w, bn_b], lambda x, p: F.batch_norm(x, None, None, p[0], p[1], training=True)),
        "relu": (image, [], lambda x, p: torch.relu(x)),
        "leaky_relu_0.01": (image, [], lambda x, p: F.leaky_relu(x, 0.01)),
        "relu6": (image, [], lambda x, p: F.relu6(x)),
        "gelu": (image, [], lambda x, p: F.gelu(x)),
        "max_pool_2×2": (image, [], lambda x, p: F.max_pool2d(x, 2)),
        "max_pool_3×3/2_pad_1": (image, [], lambda x, p: F.max_pool2d(x, 3, 2, 1)),
        "global_avg_pool": ((batch, 512, 4, 4), [], lambda x, p: F.adaptive_avg_pool2d(x, 1)),
        "dropout_0.5": ((batch, 64 * 32 * 32), [], lambda x, p: F.dropout(x, 0.5, training=True)),
        "linear_4096→1024": ((batch, 4096), [lin_w, lin_b], lambda x, p: F.linear(x, p[0], p[1])),
    }, t


def best(repeats, body):
    result = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        result = min(result, time.perf_counter() - start)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(3)
    for dtype in (torch.float32, torch.float64, torch.bfloat16, torch.float16):
        table, t = layers(args.batch, dtype)
        for name, (shape, parameters, forward) in table.items():
            try:
                x = t(*shape, zeros=True).requires_grad_()
                ps = [p.clone().requires_grad_() for p in parameters]
                with torch.no_grad():
                    forward(x, ps)
                fwd = best(args.repeats, lambda: forward(x, ps))
                y = forward(x, ps)
                g = t(*y.shape)
                bwd = best(args.repeats, lambda: torch.autograd.grad(y, [x] + ps, g, retain_graph=True))
            except (RuntimeError, NotImplementedError):
                continue
            print(f"{name} {str(dtype).replace('torch.', '')} forward_ms={fwd * 1e3:.3f} backward_ms={bwd * 1e3:.3f}")


if __name__ == "__main__":
    main()
