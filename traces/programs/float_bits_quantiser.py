"""A block floating-point quantiser and bit-level numerics utilities, as
quantisation-aware training code writes them.

A small regressor learns a rotation angle in degrees (`deg2rad`,
Deg2RadBackward0) and trains three Adam steps through weights quantised
to a shared per-row exponent: `frexp` of the row maxima gives the
exponent, `ldexp` the scale, and a straight-through estimator keeps the
gradient. Under `no_grad` the utilities then read the representation
itself: `view(torch.int32)` of float32 weights masked to bfloat16
precision and viewed back, the ULP of each weight by `nextafter`
towards infinity, the quantisation error in ULPs accumulated with
`cumsum_` / `cumprod_`, the saturated positions by `nonzero_static`
(padded to a fixed size), and the same in float64 with `view(torch.int64)`
and `rad2deg`.
"""
# cpu-dependent-values: the regressor's matrix products round their last bit differently on different CPUs (MKL), and the program reads float bits as int32 and int64 (`view(torch.int32)`, `nextafter`), which compare exactly

import torch
import torch.nn as nn

torch.manual_seed(41)
BITS = 4
x = torch.randn(32, 2)
angle_true = torch.tensor(30.0)
rot = torch.stack(
    [
        torch.stack([torch.cos(torch.deg2rad(angle_true)), -torch.sin(torch.deg2rad(angle_true))]),
        torch.stack([torch.sin(torch.deg2rad(angle_true)), torch.cos(torch.deg2rad(angle_true))]),
    ]
)
target = x @ rot.t()


def block_quantise(w: torch.Tensor) -> torch.Tensor:
    """Per-row shared exponent, BITS-bit signed mantissas, straight-through."""
    _, exp = torch.frexp(w.detach().abs().amax(1, keepdim=True))
    scale = torch.ldexp(torch.ones_like(w.detach()), exp - (BITS - 1))
    q = torch.clamp(torch.round(w.detach() / scale), -(2 ** (BITS - 1)), 2 ** (BITS - 1) - 1)
    return w + (q * scale - w).detach()


class Rotator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.degrees = nn.Parameter(torch.tensor(10.0))
        self.mix = nn.Linear(2, 2)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        theta = torch.deg2rad(self.degrees)
        c, s = torch.cos(theta), torch.sin(theta)
        r = torch.stack([torch.stack([c, -s]), torch.stack([s, c])])
        w = block_quantise(self.mix.weight)
        return (v @ r.t()) @ w.t() + self.mix.bias


model = Rotator()
opt = torch.optim.Adam(model.parameters(), lr=0.2)
for step in range(3):
    loss = (model(x) - target).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, loss.item(), model.degrees.item())

with torch.no_grad():
    w = model.mix.weight.detach().clone()
    # bfloat16-style truncation by masking the low 16 bits of the pattern.
    bits = w.view(torch.int32)
    truncated = torch.bitwise_and(bits, -65536).view(torch.float32)
    print("truncated", truncated.tolist())
    ulp = torch.nextafter(w, torch.full_like(w, float("inf"))) - w
    err = (block_quantise(w) - w).abs() / ulp
    err.cumsum_(1)
    growth = (1 + err / 2**20).cumprod_(0)
    print("ulps", err.tolist(), growth.tolist())
    mant, expo = torch.frexp(w.t())
    print("frexp", mant.stride(), expo.dtype, torch.ldexp(mant, expo).equal(w.t()))
    saturated = torch.nonzero_static(err > 3e6, size=6, fill_value=-1)
    print("saturated", saturated.tolist())
    headings = torch.randn(64) * 90
    unit = torch.stack([torch.cos(torch.deg2rad(headings)), torch.sin(torch.deg2rad(headings))], 1)
    print("headings", unit.sum(0).tolist())

    d = torch.linspace(-720.0, 720.0, 9, dtype=torch.float64)
    r64 = torch.deg2rad(d)
    back = torch.rad2deg(r64)
    pattern = r64.view(torch.int64)
    sign_flipped = torch.bitwise_xor(pattern, torch.tensor(-(2**63))).view(torch.float64)
    step64 = torch.nextafter(r64, torch.zeros((), dtype=torch.float32)) - r64
    m64, e64 = torch.frexp(r64)
    print("float64", back.tolist(), sign_flipped.tolist(), step64.tolist(), e64.tolist())
    print("ldexp64", torch.ldexp(m64, e64.long() + 200).tolist())
    print("ints", torch.deg2rad(torch.arange(0, 361, 90)).tolist())
