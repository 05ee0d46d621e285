"""Two steps of each single-tensor (foreach=False) optimizer on a tiny linear
model: SGD with Nesterov momentum and weight decay, Adam, AdamW, RMSprop
with momentum, Adagrad and Adadelta — their updates are in-place elementwise
operators (mul_, add_ with alpha, addcmul_, addcdiv_, lerp_, sqrt, div_)."""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(4, 3)
y = torch.randn(4, 1)
optimizers = [
    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, foreach=False),
    lambda p: torch.optim.Adam(p, lr=0.01, foreach=False),
    lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, foreach=False),
    lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, foreach=False),
    lambda p: torch.optim.Adagrad(p, lr=0.1, foreach=False),
    lambda p: torch.optim.Adadelta(p, lr=1.0, foreach=False),
]
for make in optimizers:
    net = nn.Linear(3, 1)
    opt = make(net.parameters())
    for _ in range(2):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
