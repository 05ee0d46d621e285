"""Reentrant checkpointing runs a nested backward inside a node: unsupported."""
import torch
from torch.utils.checkpoint import checkpoint

x = torch.randn(3, requires_grad=True)
y = checkpoint(lambda t: (t * 2).sin(), x, use_reentrant=True)
y.sum().backward()
