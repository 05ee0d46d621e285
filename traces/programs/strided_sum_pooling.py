"""Sums and means of non-contiguous views inside a small sequence model.

A channels-by-time encoder pools its features the ways sequence code does
without calling `.contiguous()` first: the mean over time of a transposed
`[batch, channels, time]` activation, the sum over a time slice that drops
the first step (`h[:, 1:]`), every other channel (`h[..., ::2]`), a column
block of a wider projection (`proj[:, :40]`, `proj[:, 40:]`), a sum over
two dimensions that do not merge in memory (`h[:, :, 4:].sum((1, 2))`),
per-step totals of a contiguous activation reduced on both sides of the
time dimension (`h.sum((0, 2))`) and the whole of a strided slice
(`x[::2].sum()`). Inputs span several orders
of magnitude per row, so the float32 terms cancel and the order PyTorch's
kernel walks memory decides the last bits. Three SGD steps, then the same
pooling in float64 under `no_grad`.
"""

import torch
from torch import nn

torch.manual_seed(0)
B, T, C = 6, 21, 12
scale = torch.logspace(-2, 2, T).reshape(1, T, 1)
x = torch.randn(B, T, C) * scale
target = torch.randn(B, 3)

encoder = nn.Linear(C, 24)
proj = nn.Linear(24, 80)
head = nn.Linear(24 + 12 + 12 + 40 + 40 + 2, 3)
params = list(encoder.parameters()) + list(proj.parameters()) + list(head.parameters())
opt = torch.optim.SGD(params, lr=1e-3, foreach=False)


def pooled(h: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    over_time = h.transpose(1, 2).mean(-1)  # [B, 24] from a [B, 24, T] view
    after_first = h[:, 1:].sum(1)[:, :12]  # time slice
    every_other = h[..., ::2].sum(1)  # [B, 12] with stride 2
    left = p[:, :, :40].sum(1)  # column block of a wider row
    right = p[:, :, 40:].mean(1)
    tail = torch.stack([h[:, :, 4:].sum((1, 2)), h[:, 2:, :9].sum((1, 2))], 1)
    return torch.cat([over_time, after_first, every_other, left, right, tail], 1)


for step in range(3):
    opt.zero_grad()
    h = torch.tanh(encoder(x)) * scale
    p = proj(h)
    out = head(pooled(h, p))
    per_step = h.sum((0, 2))  # contiguous, reduced around the kept time axis
    loss = (out - target).pow(2).mean() + 1e-4 * x[::2].sum() * out.mean() + 1e-3 * per_step.std()
    loss.backward()
    opt.step()

with torch.no_grad():
    xd = x.double()
    h = torch.tanh(encoder.double()(xd)) * scale.double()
    summary = pooled(h, proj.double()(h))
    column_totals = xd.transpose(0, 2).sum(-1)  # [C, T] over the batch
    strided_total = xd[:, ::3, 1:].sum()
    per_step = xd.mean((0, 2))
    means = (summary.mean(0), column_totals.mean(1), strided_total, per_step)
