"""Hooks on two outputs of one node after retain_grad() on one of them:
PyTorch runs the hooks of the tensor whose first hook came first (b), then
the other (a); the retained gradient is a's after its hook."""

import torch

torch.manual_seed(0)
x = torch.randn(4, requires_grad=True)
a, b = (x * 2.0).split(2)
a.retain_grad()
b.register_hook(lambda g: g * 3.0)
a.register_hook(lambda g: g + 1.0)
order_hooks = len(a._backward_hooks)
(a.sum() + (b * b).sum()).backward()
print(order_hooks, a.grad.tolist(), x.grad.tolist())
