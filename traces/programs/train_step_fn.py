"""Three SGD steps of the tiny_mlp network, each step in a function.

The usual training-loop shape: `loss` and the step's graph die when `step()`
returns, so PyTorch frees the graph and creates new AccumulateGrad nodes in
the next step's forward (compare mlp_train, where the rebound `loss` keeps
the previous graph, and its AccumulateGrad nodes, alive until the next
forward has run). The trace's api `release` events tell a replayer what the
program dropped, so it can free the same graph at the same point.
"""

import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
x = torch.randn(16, 4)
y = torch.randn(16, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1, foreach=False)
loss_fn = nn.MSELoss()


def step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
