"""Each dropped graph frees the leaf's AccumulateGrad node; the next op on
the leaf creates a new one (PyTorch caches it on the leaf by weak reference)."""

import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
x * 2
x + 1
(x * x).sum().backward()
