"""detach_ on a tensor with history, made to require grad again, then a
backward to it (input-gradient saliency)."""
import torch

x = torch.randn(3, requires_grad=True)
h = x * 2
h.detach_().requires_grad_()
(h * h).sum().backward()
