"""detach_ on a tensor with history, then an in-place op on it."""
import torch

x = torch.randn(3, requires_grad=True)
h = x * 2
h.detach_()
h.mul_(3)
(x * h).sum().backward()
