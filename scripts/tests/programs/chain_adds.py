"""A chain of adds, each also reading the leaf."""
import torch

x = torch.randn(3, requires_grad=True)
y = x
for _ in range(5):
    y = y + x
y.sum().backward()
