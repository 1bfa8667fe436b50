"""Writes activations-torch.json: PyTorch's CPU forward and backward of leaky_relu (slopes 0.01 and 0.25)
and relu6 in binary32, bit patterns of inputs, outputs, upstream gradients and input gradients, on
inputs that sit on and around the kinks (±0, ±6, subnormals, values whose slope product rounds).

Run: python3 make_activation_fixture.py (torch from a virtual environment; PyTorch 2.13 wrote the
committed file)."""
import json, struct, torch

def bits(t):
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.tolist()]

torch.manual_seed(20261207)
special = [0.0, -0.0, 6.0, -6.0, 1e-45, -1e-45, 1.17549435e-38, -3.0, 2.5, 5.999999523, 6.000000477, 1e30, -1e30]
random = (torch.randn(51) * 4).tolist()
x = torch.tensor(special + random, dtype=torch.float32)
g = torch.randn(x.numel(), dtype=torch.float32) * 3
cases = []
for name, f in [("leaky-relu:0.01", lambda t: torch.nn.functional.leaky_relu(t, 0.01)),
                ("leaky-relu:0.25", lambda t: torch.nn.functional.leaky_relu(t, 0.25)),
                ("relu6", torch.nn.functional.relu6)]:
    xi = x.clone().requires_grad_(True)
    y = f(xi)
    y.backward(g)
    cases.append({"activation": name, "x": bits(x), "y": bits(y.detach()), "grad_out": bits(g), "grad_in": bits(xi.grad)})
with open("activations-torch.json", "w") as out:
    json.dump({"torch": torch.__version__, "cases": cases}, out)
