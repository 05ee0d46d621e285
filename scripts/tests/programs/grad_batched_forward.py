"""torch.autograd.grad(is_grads_batched=True) over a forward's graph: the
Jacobian of tanh(x) * 2 in one batched backward, then an ordinary graph."""
import torch

x = torch.randn(3, requires_grad=True)
y = torch.tanh(x) * 2
(J,) = torch.autograd.grad(y, x, torch.eye(3), is_grads_batched=True)
z = (x * J.sum(0)).sum()
