"""Writes autocast-torch.json: PyTorch's CPU autocast (torch.autocast("cpu", dtype=...), binary16 and
bfloat16) on an MLP 12-8-6-3 with ReLU, batch 6: the binary32 parameters and input, the logits (low
format), the loss (binary32, computed on the logits cast to binary32, as a training loop does) and every
parameter gradient (binary32 tensors holding low-format values), as bit patterns.

The oracle is PyTorch itself; so that a test may ask for equality bit for bit although PyTorch's CPU
kernels sum in their own order, this script also recomputes every rounding autocast makes (each dense
layer's output, the logits' gradient, each input gradient, each weight and bias gradient) from the
exact sum of its rounded operands (Python fractions) and from PrecisionLab's default binary32 sum
(sequential, unfused, the bias last), and keeps a seed only if both round into the low format to
PyTorch's value everywhere (so the exact sum rounded once is what autocast computed; PyTorch's CPU
kernels sum in their own order, and on a seed where the orders round differently the comparison would
test the order, not the policy), and every binary32 value within 16 units in the last place of
PyTorch's binary32 logits gradient rounds to the same low-format value (the two softmax
implementations may differ by a few units). The recomputed input gradients must also give PyTorch's
gradient of each pre-activation.

Run: python3 make_autocast_fixture.py (torch from a virtual environment; PyTorch 2.13 wrote the
committed file)."""
import json, struct
from fractions import Fraction
import torch

torch.set_num_threads(1)
WIDTHS, BATCH = [12, 8, 6, 3], 6

def f32(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]

def low(v, dtype):
    """A binary64 value rounded once into binary32, then into `dtype`, as a float."""
    return torch.tensor([f32(v)], dtype=torch.float32).to(dtype).item()

def low_of_f32(v, dtype):
    return torch.tensor([v], dtype=torch.float32).to(dtype).item()

class Unsafe(Exception):
    pass

def checked(terms, dtype, got):
    """The low-format rounding of the sum of `terms` (fractions, exact products of low-format values,
    a dense layer's bias last): raises Unsafe unless both the exact sum and PrecisionLab's sequential
    binary32 sum (in the order given) round to PyTorch's `got` (None: only the two are compared)."""
    exact = low(float(sum(terms, Fraction(0))), dtype)
    acc = 0.0
    for t in terms:
        acc = f32(acc + f32(float(t)))
    sequential = low_of_f32(acc, dtype)
    if exact != sequential or (got is not None and exact != got):
        raise Unsafe("order")
    return exact

def bits(t):
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.detach().float().flatten().tolist()]

def attempt(seed, dtype):
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(WIDTHS[i], WIDTHS[i + 1]) for i in range(3)]
    net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    x = torch.randn(BATCH, WIDTHS[0])
    labels = torch.randint(0, WIDTHS[-1], (BATCH,))
    with torch.autocast("cpu", dtype=dtype):
        h = [None] * 3
        a = x
        for i in range(3):
            h[i] = layers[i](a)
            h[i].retain_grad()
            a = torch.relu(h[i]) if i < 2 else h[i]
    logits32 = h[2].float()
    logits32.retain_grad()
    loss = torch.nn.functional.cross_entropy(logits32, labels)
    loss.backward()
    F = lambda v: Fraction(float(v.detach() if hasattr(v, "detach") else v))
    # Forward: each layer's output from its low-format input, weight and bias.
    a = x.to(dtype)
    inputs = []
    for i, layer in enumerate(layers):
        inputs.append(a)
        W, b = layer.weight.detach().to(dtype), layer.bias.detach().to(dtype)
        for r in range(BATCH):
            for o in range(W.shape[0]):
                terms = [F(a[r, k]) * F(W[o, k]) for k in range(W.shape[1])] + [F(b[o])]
                checked(terms, dtype, h[i][r, o].item())
        a = torch.relu(h[i]) if i < 2 else h[i]
    # The logits' gradient, binary32 in PyTorch and in ours within a few units, rounded into low.
    g32 = logits32.grad
    for v in g32.flatten().tolist():
        u = abs(v) * 2**-23 * 16 + 2**-149
        if low_of_f32(f32(v - u), dtype) != low_of_f32(f32(v + u), dtype):
            raise Unsafe("logits gradient")
    g = g32.to(dtype)
    for i in reversed(range(3)):
        layer, X = layers[i], inputs[i]
        W = layer.weight.detach().to(dtype)
        dW, db = layer.weight.grad, layer.bias.grad
        for o in range(W.shape[0]):
            checked([F(g[r, o]) for r in range(BATCH)], dtype, db[o].item())
            for k in range(W.shape[1]):
                checked([F(g[r, o]) * F(X[r, k]) for r in range(BATCH)], dtype, dW[o, k].item())
        if i == 0:
            break
        dX = torch.empty(BATCH, W.shape[1])
        for r in range(BATCH):
            for k in range(W.shape[1]):
                dX[r, k] = checked([F(g[r, o]) * F(W[o, k]) for o in range(W.shape[0])], dtype, None)
        # ReLU'(0) = 0 in PyTorch: the gradient passes where the pre-activation is positive.
        g = (dX * (h[i - 1].float() > 0)).to(dtype)
        if not torch.equal(g, h[i - 1].grad):
            raise AssertionError(f"layer {i - 1}: the recomputed gradient of the pre-activation is not PyTorch's")
    return {
        "format": "binary16" if dtype == torch.float16 else "bfloat16", "seed": seed, "widths": WIDTHS, "batch": BATCH,
        "x": bits(x), "labels": labels.tolist(),
        "weights": [bits(l.weight) for l in layers], "biases": [bits(l.bias) for l in layers],
        "logits": bits(h[2]), "loss": bits(loss.reshape(1))[0],
        "weight_grads": [bits(l.weight.grad) for l in layers], "bias_grads": [bits(l.bias.grad) for l in layers],
    }

cases = []
for dtype in (torch.float16, torch.bfloat16):
    for seed in range(1000):
        try:
            cases.append(attempt(seed, dtype))
            print(dtype, "seed", seed)
            break
        except Unsafe:
            continue
with open("autocast-torch.json", "w") as out:
    json.dump({"torch": torch.__version__, "cases": cases}, out)
