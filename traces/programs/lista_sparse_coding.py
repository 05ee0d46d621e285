"""Learned ISTA (LISTA) for sparse coding, with the soft-threshold written
as sparse-coding code writes it: `sgn(v) * relu(|v| - theta)`.

The gradient of `sgn` of a real tensor is zero almost everywhere, and
PyTorch's SgnBackward0 returns it as an efficient zero tensor
(`_efficientzerotensor`, the ZeroTensor key). Where it meets the gradient
of the shrinkage's magnitude in the engine's input buffer, PyTorch's
ZeroTensor `add` runs: `to(device="meta")` of both operands (seen whole,
each with its device transfer), `prims.add` of the meta tensors for the
result's shape, then `_to_copy(expand(other, sizes))`. The first
shrinkage computes `sgn(v)` before the magnitude, so its zero gradient
arrives last; the unrolled iterations compute it after, so it arrives
first: both operand orders are exercised. A learned threshold per atom,
an encoder and a lateral matrix are trained three Adam steps on a
reconstruction loss through a fixed dictionary with an L1 penalty on the
code; then a float64 shrinkage of a batch and its gradient, and a code
inspected without gradient.
"""
# cpu-dependent-values: a matrix product's last-bit rounding differs between CPUs, and Adam divides each gradient by its own magnitude, so a near-zero gradient element moves its weight by a whole step

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(31)


class LISTA(nn.Module):
    def __init__(self, n: int, m: int, iters: int) -> None:
        super().__init__()
        self.encoder = nn.Linear(n, m, bias=False)
        self.lateral = nn.Linear(m, m, bias=False)
        self.theta = nn.Parameter(torch.full((m,), 0.1))
        self.iters = iters

    def forward(self, y):
        b = self.encoder(y)
        z = torch.sgn(b) * F.relu(b.abs() - self.theta)
        for _ in range(self.iters):
            v = b + self.lateral(z)
            z = F.relu(v.abs() - self.theta) * v.sgn()
        return z


n, m = 8, 12
dictionary = torch.randn(n, m) / m**0.5
codes = torch.randn(16, m) * (torch.rand(16, m) < 0.25)
signals = codes @ dictionary.t()

model = LISTA(n, m, iters=2)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(3):
    z = model(signals)
    loss = F.mse_loss(z @ dictionary.t(), signals) + 1e-2 * z.abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

# A float64 shrinkage of a batch and its gradient.
v = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
shrunk = torch.sgn(v) * torch.clamp(v.abs() - 0.3, min=0)
(shrunk**2).sum().backward()

with torch.no_grad():
    sparsity = (model(signals) != 0).float().mean()
