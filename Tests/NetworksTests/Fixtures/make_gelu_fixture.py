"""Writes gelu-torch.json: PyTorch's CPU forward and backward of nn.GELU() (the exact, erf form) in binary32
and binary64, bit patterns of inputs, outputs, upstream gradients and input gradients, on inputs from
the far negative tail (where 1 + erf cancels) through 0 and the subnormals to large positive values,
and ±infinity; and, as the oracle, GELU(x) = x·Φ(x) and GELU'(x) = Φ(x) + x·φ(x) of each finite input
evaluated by mpmath at 60 digits (decimal strings, 30 significant digits).

Run: python3 make_gelu_fixture.py (torch and mpmath from a virtual environment; PyTorch 2.13 and mpmath
1.3.0 wrote the committed file)."""
import json, struct, torch
import mpmath

mpmath.mp.dps = 60

def exact(x):
    """GELU(x) and GELU'(x) at 60 digits, as 30-digit strings (None for an infinite input)."""
    if x != x or x in (float("inf"), float("-inf")):
        return None, None
    v = mpmath.mpf(x)
    cdf = mpmath.erfc(-v / mpmath.sqrt(2)) / 2
    pdf = mpmath.exp(-v * v / 2) / mpmath.sqrt(2 * mpmath.pi)
    return mpmath.nstr(v * cdf, 30, min_fixed=1, max_fixed=0), mpmath.nstr(cdf + v * pdf, 30, min_fixed=1, max_fixed=0)

def bits(t, double):
    fmt, ifmt = ("<d", "<Q") if double else ("<f", "<I")
    return [struct.unpack(ifmt, struct.pack(fmt, v))[0] for v in t.tolist()]

torch.manual_seed(20261207)
special = [0.0, -0.0, 1e-45, -1e-45, 1.17549435e-38, -1.17549435e-38, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, -3.0, -5.0,
           -7.5, -10.0, -20.0, -40.0, 3.0, 10.0, 1e30, -1e30, float("inf"), float("-inf")]
random = (torch.randn(96) * 3).tolist()
cases = []
torch.set_num_threads(1)
for dtype, name in ((torch.float32, "binary32"), (torch.float64, "binary64")):
    x = torch.tensor(special + random, dtype=dtype)
    g = (torch.randn(x.numel(), dtype=torch.float64) * 2).to(dtype)
    xi = x.clone().requires_grad_(True)
    y = torch.nn.functional.gelu(xi)
    y.backward(g)
    double = dtype == torch.float64
    oracle = [exact(v) for v in x.tolist()]
    cases.append({"format": name, "x": bits(x, double), "y": bits(y.detach(), double), "grad_out": bits(g, double),
                  "grad_in": bits(xi.grad, double), "exact_y": [o[0] for o in oracle], "exact_slope": [o[1] for o in oracle]})
with open("gelu-torch.json", "w") as out:
    json.dump({"torch": torch.__version__, "cases": cases}, out)
