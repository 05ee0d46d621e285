"""torch.autograd.grad of ordinary outputs under torch.func.vmap (batched
gradients: the engine under vmap) is refused."""

import torch
from torch.func import vmap

x = torch.randn(3, requires_grad=True)
y = x.sin()
vmap(lambda v: torch.autograd.grad(y, x, v, retain_graph=True)[0])(torch.eye(3))
