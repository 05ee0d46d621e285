"""Hessian-vector products: the gradient taken with
`torch.autograd.grad(create_graph=True)`, its dot product with a vector,
and the gradient of that (H v); the same for a small MLP's parameters, and
`torch.autograd.functional.hvp` / `vhp` of a scalar function.
"""

import torch
from torch import nn
from torch.autograd.functional import hvp, vhp

torch.manual_seed(0)

# H v of f(x) = sum(tanh(x)^2 * x) at one point.
x = torch.randn(4, requires_grad=True)
v = torch.randn(4)
(g,) = torch.autograd.grad((x.tanh() ** 2 * x).sum(), x, create_graph=True)
(hv,) = torch.autograd.grad((g * v).sum(), x)

# H v of an MLP's loss with respect to its parameters.
net = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1))
params = list(net.parameters())
inp = torch.randn(5, 3)
target = torch.randn(5, 1)
loss = nn.functional.mse_loss(net(inp), target)
grads = torch.autograd.grad(loss, params, create_graph=True)
vs = [torch.randn_like(p) for p in params]
dot = sum((g * u).sum() for g, u in zip(grads, vs))
hvs = torch.autograd.grad(dot, params)


def f(y):
    return (y.exp() * y.sin()).sum()


point = torch.randn(3)
direction = torch.randn(3)
_, hvp_out = hvp(f, point, direction)
_, vhp_out = vhp(f, point, direction)
print(hv.sum().item(), sum(h.sum() for h in hvs).item(), hvp_out.sum().item(), vhp_out.sum().item())
