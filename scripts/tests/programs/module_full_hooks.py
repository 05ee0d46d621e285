"""Module full backward hooks on a layer whose input requires grad: a
pre-hook that doubles grad_output, a hook that replaces grad_input."""

import torch
import torch.nn as nn

torch.manual_seed(0)
layer = nn.Linear(3, 2)
x = torch.randn(4, 3, requires_grad=True)
layer.register_full_backward_pre_hook(lambda m, go: tuple(g * 2 for g in go))
layer.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
layer(x).sum().backward()
print(x.grad.sum().item())
