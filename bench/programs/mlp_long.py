"""An MLP (256 wide, batch 64) trained with SGD for FT_STEPS steps (default 20).

The long-run workload of the benchmarks: enough steps that a replay which
keeps the whole run in memory, or lets float drift accumulate, shows it.
"""

import os

import torch
from torch import nn

steps = int(os.environ.get("FT_STEPS", "20"))
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
x = torch.randn(64, 256)
y = torch.randint(0, 10, (64,))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, foreach=False)
loss_fn = nn.CrossEntropyLoss()
for step in range(steps):
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
