"""Tensor.set_ on a storage: a value the trace cannot hold."""
import torch

x = torch.ones(4)
y = torch.empty(0)
y.set_(x.untyped_storage(), 0, (2,), (1,))
