"""One forward and backward pass of a two-layer MLP with an MSE loss."""

import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
x = torch.randn(16, 4)
y = torch.randn(16, 1)
loss = nn.MSELoss()(net(x), y)
loss.backward()
