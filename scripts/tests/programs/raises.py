"""Raises after some work."""
import torch

x = torch.randn(3, requires_grad=True)
y = (x * 2).sum()
raise ValueError("boom")
