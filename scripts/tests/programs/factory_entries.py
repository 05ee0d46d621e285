"""Factories entering the dispatcher in each way PyTorch has: through a
Python binding (below autograd and ADInplaceOrView: `torch.randn`,
`torch.tensor`'s `lift_fresh`, `torch.ones_like`), and from C++ composites
at top level with the thread's state (dropout's `empty_like`, batch norm's
`empty`, `where`'s `scalar_tensor`), and inside a backward formula."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(2, 3, requires_grad=True)
t = torch.tensor([1.0, 2.0, 3.0])
z = torch.zeros(3)
o = torch.ones_like(x)
e = torch.empty(2)
s = torch.scalar_tensor(2.0)
y = F.dropout(x, 0.5, training=True)
w = torch.where(x > 0, x, 0.0)
bn = F.batch_norm(torch.randn(2, 3, 4), torch.zeros(3), torch.ones(3), training=True)
(y.sum() + w.sum() + (x * t).sum() + (x * o).sum()).backward()
