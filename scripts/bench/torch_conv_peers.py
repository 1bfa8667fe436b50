#!/usr/bin/env python3
"""PyTorch CPU peers of PrecisionLab's convolutional benchmarks (run by precisionlab-bench --torch PYTHON).

  time:        seconds per forward+backward of VGG11 or ResNet18 at any input shape, with PrecisionLab's
               layouts (a VGG pool is skipped once the map is 1 pixel, which ../shared/bench/torch_convnets.py
               cannot do for 28x28 inputs).
  bifurcation: the ReLU'(0) bifurcation protocol on a convolutional network: two copies of one network with
               ReLU'(0) = 0 and = 1 (the paper's rule: the input gradient at an exact zero is SET to alpha),
               each its own forward and backward on the same batches, the first convolution's weight
               gradients compared bitwise; prints seconds per batch examined.

python torch_conv_peers.py time --model vgg11 --shape 1,28,28 --batch 128 --precision 32 [--bn] [--threads 2]
python torch_conv_peers.py bifurcation --images IDX.gz --labels IDX.gz --model vgg11 --batch 100 --precision 32
       [--max-batches K] [--all-batches] [--threads 2] [--seed S]
"""
import argparse, gzip, struct, sys, time
import torch
import torch.nn as nn


class KinkReLU(torch.autograd.Function):
    """max(x, 0) whose backward sets the input gradient to alpha where x == 0 (the paper's code)."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return torch.clamp(x, min=0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad_in = torch.where(x > 0, grad_out, torch.zeros_like(grad_out))
        grad_in = torch.where(x == 0, torch.full_like(grad_out, ctx.alpha), grad_in)
        return grad_in, None


class Act(nn.Module):
    def __init__(self, alpha):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return nn.functional.relu(x) if self.alpha is None else KinkReLU.apply(x, self.alpha)


def vgg11(shape, bn, alpha=None, classes=10):
    c, hw = shape[0], shape[1]
    layers = []
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if v == "M":
            if hw >= 2:  # PrecisionLab's layout: no pool once the map is 1 pixel
                layers.append(nn.MaxPool2d(2, 2))
                hw //= 2
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1)] + ([nn.BatchNorm2d(v)] if bn else []) + [Act(alpha)]
            c = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * hw * hw, classes))


class Block(nn.Module):
    def __init__(self, cin, cout, stride, bn, alpha):
        super().__init__()
        N = (lambda ch: nn.BatchNorm2d(ch)) if bn else (lambda ch: nn.Identity())
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.b1 = N(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.b2 = N(cout)
        self.a1, self.a2 = Act(alpha), Act(alpha)
        self.sc = nn.Sequential()
        if stride != 1 or cin != cout:
            self.sc = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), N(cout))

    def forward(self, x):
        y = self.a1(self.b1(self.c1(x)))
        return self.a2(self.b2(self.c2(y)) + self.sc(x))


class ResNet18(nn.Module):
    def __init__(self, shape, bn, alpha=None, classes=10):
        super().__init__()
        N = (lambda ch: nn.BatchNorm2d(ch)) if bn else (lambda ch: nn.Identity())
        self.stem = nn.Sequential(nn.Conv2d(shape[0], 64, 3, 1, 1, bias=False), N(64), Act(alpha), nn.MaxPool2d(3, 2, 1))
        blocks, c = [], 64
        for w, s in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [Block(c, w, s, bn, alpha), Block(w, w, 1, bn, alpha)]
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def build(name, shape, bn, alpha=None):
    return vgg11(shape, bn, alpha) if name == "vgg11" else ResNet18(shape, bn, alpha)


DTYPES = {"16": torch.float16, "32": torch.float32, "64": torch.float64, "bf16": torch.bfloat16}


def time_command(a):
    shape = tuple(map(int, a.shape.split(",")))
    dt = DTYPES[a.precision]
    net = build(a.model, shape, a.bn).to(dt).train()
    x = torch.rand(a.batch, *shape, dtype=dt)
    y = torch.randint(0, 10, (a.batch,))
    best = 1e9
    for _ in range(a.repeats + 1):
        net.zero_grad()
        t = time.perf_counter()
        nn.functional.cross_entropy(net(x).float(), y).backward()
        best = min(best, time.perf_counter() - t)
    print(f"{a.model} bn={a.bn} fp{a.precision} batch {a.batch} shape {a.shape} threads {a.threads}: seconds={best:.3f}")


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def bifurcation_command(a):
    dt = DTYPES[a.precision]
    images, labels = idx(a.images), idx(a.labels).long()
    shape = (1, images.shape[1], images.shape[2])
    torch.manual_seed(a.seed)
    base = build(a.model, shape, a.bn)  # PyTorch's default initialisation, drawn in float32
    copies = []
    for alpha in (0.0, 1.0):
        net = build(a.model, shape, a.bn, alpha)
        net.load_state_dict(base.state_dict())
        copies.append(net.to(dt).train())
    first = [next(m for m in net.modules() if isinstance(m, nn.Conv2d)) for net in copies]
    batches = (images.shape[0] + a.batch - 1) // a.batch
    if a.max_batches:
        batches = min(batches, a.max_batches)
    examined, differed, start = 0, None, time.perf_counter()
    for b in range(batches):
        x = (images[b * a.batch:(b + 1) * a.batch].to(torch.float64) / 255).to(dt).unsqueeze(1)
        y = labels[b * a.batch:(b + 1) * a.batch]
        grads = []
        for net, conv in zip(copies, first):
            net.zero_grad()
            nn.functional.cross_entropy(net(x).float(), y).backward()
            grads.append(conv.weight.grad)
        examined += 1
        if not torch.equal(grads[0], grads[1]):
            differed = b if differed is None else differed
            if not a.all_batches:
                break
    seconds = time.perf_counter() - start
    print(f"{a.model} fp{a.precision} batch {a.batch} threads {a.threads}: examined={examined} first_difference="
          f"{'' if differed is None else differed} seconds_per_batch={seconds / examined:.4f}")


ap = argparse.ArgumentParser()
sub = ap.add_subparsers(dest="command", required=True)
t = sub.add_parser("time")
t.add_argument("--model", default="vgg11", choices=["vgg11", "resnet18"]); t.add_argument("--shape", default="3,32,32")
t.add_argument("--batch", type=int, default=128); t.add_argument("--precision", default="32", choices=list(DTYPES))
t.add_argument("--bn", action="store_true"); t.add_argument("--repeats", type=int, default=2)
t.add_argument("--threads", type=int, default=2)
b = sub.add_parser("bifurcation")
b.add_argument("--images", required=True); b.add_argument("--labels", required=True)
b.add_argument("--model", default="vgg11", choices=["vgg11", "resnet18"]); b.add_argument("--batch", type=int, default=100)
b.add_argument("--precision", default="32", choices=list(DTYPES)); b.add_argument("--bn", action="store_true")
b.add_argument("--max-batches", type=int, default=0); b.add_argument("--all-batches", action="store_true")
b.add_argument("--threads", type=int, default=2); b.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(args.threads)
time_command(args) if args.command == "time" else bifurcation_command(args)
