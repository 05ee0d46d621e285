"""Gradient clipping before each SGD step: clip_grad_norm_ (foreach path on
CPU: `_foreach_norm`, `stack`, `linalg_vector_norm`, `_foreach_mul_.Tensor`),
for the 2-norm and the inf-norm, on float32 and float64 parameters."""

import torch
from torch import nn

torch.manual_seed(0)
net32 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
f64 = torch.float64
net64 = nn.Sequential(nn.Linear(2, 3, dtype=f64), nn.ReLU(), nn.Linear(3, 1, dtype=f64))
x32, y32 = torch.randn(4, 3), torch.randn(4, 1)
x64, y64 = torch.randn(4, 2, dtype=f64), torch.randn(4, 1, dtype=f64)
opt = torch.optim.SGD(list(net32.parameters()) + list(net64.parameters()), lr=0.1, foreach=True)
loss_fn = nn.MSELoss()
for step in range(3):
    opt.zero_grad()
    loss = loss_fn(net32(x32), y32) + loss_fn(net64(x64), y64)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net32.parameters(), max_norm=0.5)
    torch.nn.utils.clip_grad_norm_(net64.parameters(), max_norm=0.1, norm_type="inf")
    opt.step()
