"""torch.autograd.grad of a leaf and of an unused input: the leaf's
AccumulateGrad captures its gradient without running; the unused input gets
PyTorch's Identity node (a sequence number, no event)."""
import torch

x = torch.randn(3, requires_grad=True)
u = torch.randn(3, requires_grad=True)
(g, none) = torch.autograd.grad((x * x).sum(), [x, u], allow_unused=True)
y = (x * 2).sum()
