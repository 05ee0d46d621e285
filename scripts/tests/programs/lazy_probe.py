"""A lazy module's first forward materializes its placeholders."""

import torch
import torch.nn as nn

torch.manual_seed(0)
net = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d(), nn.Linear(3, 1))
x = torch.randn(4, 5)
net(x).sum().backward()
print(net[0].weight.grad.shape)
