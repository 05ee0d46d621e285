"""Storages the capture has read, resized afterwards (a per-channel
observer's `scale.resize_`)."""

import torch

torch.manual_seed(0)
scale = torch.ones(1)
zero_point = torch.zeros(1, dtype=torch.int64)
y = scale * 2
scale.resize_(4)
scale.fill_(0.5)
y.resize_(3)
y.copy_(torch.arange(3.0))
zero_point.resize_(4).zero_()
print(scale.tolist(), y.tolist(), zero_point.tolist())
