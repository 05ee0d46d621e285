"""torch.autograd.grad prunes the graph: unsupported."""
import torch

x = torch.randn(3, requires_grad=True)
(g,) = torch.autograd.grad((x * x).sum(), [x])
