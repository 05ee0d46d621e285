"""Reentrant checkpointing runs a nested backward (a GraphTask at depth 1)
inside the node of its CheckpointFunction."""
import torch
from torch.utils.checkpoint import checkpoint

x = torch.randn(3, requires_grad=True)
y = checkpoint(lambda t: (t * 2).sin(), x, use_reentrant=True)
y.sum().backward()
