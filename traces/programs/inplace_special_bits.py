"""In-place special and floating-point-representation forms in a small
training loop: a count-regression model whose rate head scales its
activations by powers of two with `ldexp_` (LdexpBackward0, once with an
integer exponent table and once with a learned float exponent, so the
in-place result is saved for the exponent's gradient), a trigamma /
tetragamma penalty written with `polygamma_(n)` on intermediates
(`self` first and `n` second, unlike `torch.polygamma(n, self)`;
PolygammaBackward1 on a clone of the original `self`), and a
quantisation-style nudge `nextafter_` towards a target that requires grad
(NextafterBackward0: `where(self != other, grad, 0)` for `self`, zeros for
`other`, on the clone of the original `self`). Three SGD steps; then the
errors PyTorch raises for an integer `self` (`ldexp_`, `polygamma_`,
`nextafter_`), for a negative order and for a write into an `ldexp_`
result whose node saved it (even with an integer exponent), caught; and `nextafter_` on
float16, bfloat16 and a float32 `self` with a float64 direction."""
import torch
from torch import nn

torch.manual_seed(0)


class RateModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 3)
        self.head = nn.Linear(3, 2)
        self.log_scale = nn.Parameter(torch.tensor([0.5, -0.25]))
        self.anchor = nn.Parameter(torch.tensor([0.3, 0.6]))

    def forward(self, x, shifts):
        h = self.body(x)
        h.ldexp_(shifts)
        s = self.head(torch.tanh(h))
        s.ldexp_(self.log_scale)
        r = nn.functional.softplus(s) + 0.5
        r.nextafter_(self.anchor.expand_as(r))
        penalty = (r + 1.0).polygamma_(1).mean() + (r * 2.0).polygamma_(2).abs().mean()
        return r, penalty


model = RateModel()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(5, 4)
shifts = torch.tensor([1, 0, -1])
counts = torch.tensor([[1.0, 2.0], [0.0, 3.0], [2.0, 1.0], [4.0, 0.0], [1.0, 1.0]])
for _ in range(3):
    opt.zero_grad()
    rate, penalty = model(x, shifts)
    nll = (rate - counts * torch.log(rate)).mean()
    loss = nll + 0.1 * penalty
    loss.backward()
    opt.step()

for bad in (
    lambda: torch.arange(4).ldexp_(torch.tensor([1, 2, 3, 4])),
    lambda: torch.arange(4).polygamma_(1),
    lambda: torch.arange(4).nextafter_(torch.ones(4, dtype=torch.long)),
    lambda: torch.ones(3).polygamma_(-1),
):
    try:
        bad()
    except (RuntimeError, NotImplementedError):
        pass

# LdexpBackward0 keeps its result even for an integer exponent: writing
# into it afterwards fails backward's version check.
scaled = model.anchor * 1.0
scaled.ldexp_(torch.tensor([1, -1]))
scaled.mul_(2.0)
try:
    scaled.sum().backward()
except RuntimeError:
    pass

h16 = torch.rand(4, dtype=torch.float16)
h16.nextafter_(torch.zeros(4, dtype=torch.float16))
b16 = torch.rand(4, dtype=torch.bfloat16)
b16.nextafter_(torch.ones(4, dtype=torch.bfloat16))
f32 = torch.rand(4)
f32.nextafter_(torch.zeros(4, dtype=torch.float64))
w = torch.rand(3, dtype=torch.float64)
w.ldexp_(torch.tensor([2, -3, 40]))
