"""Log-spaced frequency bands, bins and sweeps with `torch.logspace`.

A coordinate MLP takes random Fourier-style features whose frequencies
come from `torch.logspace` (base 2, float32, the default dtype), is
trained for three Adam steps, and scores itself on float64 log-spaced
bins (`logspace` with `dtype=torch.float64`, base 10). The rest is the
bookkeeping ordinary code does with it: an integer grid of batch sizes
(`dtype=torch.int64`, end points truncated first, powers truncated), a
float16 sweep, a one-step `logspace` (base^start), a weight-decay grid
picked by `argmin`, and `logspace` end points far apart (both halves of
the range counted from their own end).
"""

import torch
from torch import nn

torch.manual_seed(0)

freqs = torch.logspace(0, 4, 5, base=2.0)  # 1, 2, 4, 8, 16


def features(x: torch.Tensor) -> torch.Tensor:
    ang = x[:, None] * freqs[None, :] * torch.pi
    return torch.cat([x[:, None], ang.sin(), ang.cos()], dim=1)


net = nn.Sequential(nn.Linear(11, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.rand(12)
y = torch.sin(3 * x) + 0.1 * torch.randn(12)
for _ in range(3):
    opt.zero_grad()
    loss = (net(features(x)).squeeze(1) - y).pow(2).mean()
    loss.backward()
    opt.step()

with torch.no_grad():
    err = (net(features(x)).squeeze(1) - y).abs().double()
    bins = torch.logspace(-3, 0, 7, dtype=torch.float64)
    counts = (err[:, None] < bins[None, :]).sum(0)

batch_sizes = torch.logspace(0.5, 6.5, 7, base=2, dtype=torch.int64)
half_sweep = torch.logspace(-2, 2, 9, dtype=torch.float16)
single = torch.logspace(0.3, 9.0, 1)
decays = torch.logspace(-6, -1, 6)
pick = decays[(decays.log10() + 3.2).abs().argmin()]
wide = torch.logspace(-20, 20, 11, base=3.0)

print(loss.item(), counts.tolist(), batch_sizes.tolist())
print(half_sweep.tolist(), single.item(), pick.item(), wide[5].item())
