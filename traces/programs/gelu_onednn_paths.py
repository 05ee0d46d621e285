"""GELU (erf form) on both of PyTorch's CPU paths.

A contiguous float32/bfloat16/float16 input of more than one element goes
through oneDNN's kernel (a piecewise polynomial erf, `x * (1 + erf) * 0.5`:
+inf gives NaN, inputs above 1.7e38 overflow), a single element or a
non-contiguous input through ATen's (`x * 0.5 * (1 + erf)`: +inf stays inf).
The backward follows `self`'s layout, not the gradient's. Values span the
tails (-13..13), zeros, subnormals and the overflow edge, forward and
backward, in a small MLP's training step as well.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
inf = float("inf")

# A training step: contiguous activations of many elements.
mlp = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 4))
opt = torch.optim.SGD(mlp.parameters(), lr=0.1)
for _ in range(2):
    loss = mlp(torch.randn(6, 8)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

# The whole range on the oneDNN path, forward and backward.
edges = torch.tensor([1e-40, -1e-40, 0.0, -0.0, 5.5, 5.6, -5.6, 1.7e38, 2e38, -2e38])
v = torch.cat([torch.linspace(-13.0, 13.0, 101), edges]).requires_grad_()
F.gelu(v).backward(torch.linspace(-1.0, 1.0, v.numel()))

# The same values through ATen's path: a non-contiguous view.
w = torch.stack([torch.cat([torch.linspace(-13.0, 13.0, 101), edges])] * 2, dim=1)
w = w.t().requires_grad_()
F.gelu(w).backward(torch.ones_like(w))

# Non-finite inputs on each path.
F.gelu(torch.tensor([inf, -inf, float("nan"), 1.0]))
F.gelu(torch.tensor([[inf, 2e38], [1.0, -1.0]]).t())
F.gelu(torch.tensor([inf]))
F.gelu(torch.tensor(2e38))

# The backward's path is `self`'s: a contiguous self with a transposed
# gradient, and the other way round.
s = torch.randn(5, 4)
g = torch.randn(4, 5).t()
torch.ops.aten.gelu_backward(g, s)
torch.ops.aten.gelu_backward(s, g)

# bfloat16 and float16, each path, forward and backward; in place too.
for dtype in (torch.bfloat16, torch.float16):
    h = (torch.randn(3, 16) * 4).to(dtype).requires_grad_()
    F.gelu(h).backward(torch.randn(3, 16).to(dtype))
    F.gelu(h.detach().t())
    F.gelu(torch.tensor([inf, 3.0], dtype=dtype))
    torch.ops.aten.gelu_(torch.randn(8).to(dtype))
torch.ops.aten.gelu_(torch.randn(12))
