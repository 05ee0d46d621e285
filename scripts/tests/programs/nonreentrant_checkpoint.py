"""Non-reentrant checkpointing recomputes through saved-tensor hooks when a
node unpacks a saved tensor (recorded: FORMAT.md §3.4.5)."""
import torch
from torch.utils.checkpoint import checkpoint

x = torch.randn(3, requires_grad=True)
y = checkpoint(lambda t: (t * 2).sin(), x, use_reentrant=False)
y.sum().backward()
