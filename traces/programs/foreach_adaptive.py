"""RMSprop (momentum, centered), Adagrad (weight decay) and Adadelta with
foreach=True, two steps each, on a float32 and a float64 network at
once: the optimizers group parameters by dtype and run one list of
`_foreach_*` operators per group."""

import torch
from torch import nn

torch.manual_seed(0)
net32 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
net64 = nn.Linear(2, 1, dtype=torch.float64)
x32, y32 = torch.randn(4, 3), torch.randn(4, 1)
x64, y64 = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 1, dtype=torch.float64)
params = list(net32.parameters()) + list(net64.parameters())
optimizers = [
    torch.optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True, foreach=True),
    torch.optim.Adagrad(params, lr=0.1, weight_decay=0.01, foreach=True),
    torch.optim.Adadelta(params, lr=1.0, foreach=True),
]
loss_fn = nn.MSELoss()
for opt in optimizers:
    for step in range(2):
        opt.zero_grad()
        loss = loss_fn(net32(x32), y32) + loss_fn(net64(x64), y64)
        loss.backward()
        opt.step()
