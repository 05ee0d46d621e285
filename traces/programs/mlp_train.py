"""Three SGD training steps of the tiny_mlp network on fixed data."""

import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
x = torch.randn(16, 4)
y = torch.randn(16, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1, foreach=False)
loss_fn = nn.MSELoss()
for step in range(3):
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
