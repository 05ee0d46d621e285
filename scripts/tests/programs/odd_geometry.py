"""Tensors of every geometry get value digests: the stride-0 gradient of a
size-1 tensor (SumBackward0 expands the 0-dim gradient to shape [1], strides
[0]), 0-dim tensors, a [2, 3] expand with strides [0, 0], size-1 dimensions
with odd strides and a storage offset, a non-contiguous view, int64 and bool
expands."""

import torch

x = torch.ones(1, requires_grad=True)
(x * 2).sum().backward()

s = torch.tensor(3.0, requires_grad=True)
(s * s).backward()

w = torch.ones(2, 3, requires_grad=True)
w.sum().backward()

base = torch.arange(12.0).view(3, 4)
corner = base[1:2, 2:3]
odd = base.as_strided((2, 1), (1, 7), 1)
col = base.t()
five = torch.tensor(5).expand(1, 1)
flag = torch.tensor(True).expand(1)
