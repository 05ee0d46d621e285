"""Jacobians computed with the engine under vmap, as scientific and
robustness code does: `torch.autograd.functional.jacobian(model, x,
vectorize=True)` of a small MLP checked against the row-by-row loop, and a
contractive (Jacobian-penalty) regression trained with
`torch.autograd.grad(y, x, grad_outputs=G, is_grads_batched=True,
create_graph=True)` — one batched vector-Jacobian product per output
column, the penalty's gradient flowing back through the batched backward
into the parameters. The batched backward's operators (the batching rules'
`mm`/`bmm` reshapes, the per-row fallback loop of `tanh_backward`, `stack`)
are recorded as top-level operators (docs/CAPTURE.md §6.8)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd.functional import jacobian

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)

# The Jacobian of the model at one point, vectorized and row by row.
x0 = torch.randn(3)
J_vec = jacobian(model, x0, vectorize=True)
J_loop = jacobian(model, x0)
print("jacobian", tuple(J_vec.shape), torch.allclose(J_vec, J_loop, atol=1e-6))

# Contractive regression: penalise ||dy/dx||^2 over the batch.
x = torch.randn(16, 3)
target = torch.stack([x.sum(1).sin(), x[:, 0] * x[:, 1]], dim=1)
# One one-hot cotangent per output column, for every sample at once.
G = torch.eye(2).unsqueeze(1).expand(2, 16, 2)
for step in range(3):
    opt.zero_grad()
    xr = x.clone().requires_grad_()
    y = model(xr)
    (J,) = torch.autograd.grad(y, xr, grad_outputs=G, is_grads_batched=True, create_graph=True)
    penalty = J.pow(2).sum() / x.shape[0]
    loss = F.mse_loss(y, target) + 0.01 * penalty
    loss.backward()
    opt.step()
    print("step", step, "loss", round(loss.item(), 5), "penalty", round(penalty.item(), 5))
