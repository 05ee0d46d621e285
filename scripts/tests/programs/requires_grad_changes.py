"""State changes without operators: requires_grad_, .grad assignment, no_grad."""
import torch

w = torch.randn(3)
w.requires_grad_()
v = torch.ones(3, requires_grad=True)
(w * v).sum().backward()
v.grad = torch.zeros(3)
with torch.no_grad():
    w.mul_(2)
w.grad = None
z = w + 1
