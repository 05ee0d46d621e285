"""A tensor used by two ops: MulBackward0 has two incoming edges."""
import torch

x = torch.randn(5, requires_grad=True)
a = x * 2
b = a.sin()
c = a.cos()
(b + c).sum().backward()
