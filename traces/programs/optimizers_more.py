"""Adamax, ASGD (single-tensor and foreach) and LBFGS with a closure on a tiny regression."""
import torch
from torch import nn

torch.manual_seed(0)
a = nn.Linear(4, 1)
b = nn.Linear(4, 1)
c = nn.Linear(4, 1)
d = nn.Linear(4, 1)
x = torch.randn(8, 4)
y = torch.randn(8, 1)
optims = [
    torch.optim.Adamax(a.parameters(), lr=1e-2),
    torch.optim.ASGD(b.parameters(), lr=1e-2, foreach=False),
    torch.optim.ASGD(c.parameters(), lr=1e-2, t0=1),
]
for step in range(2):
    for o in optims:
        o.zero_grad()
    loss = sum(((m(x) - y) ** 2).mean() for m in (a, b, c))
    loss.backward()
    for o in optims:
        o.step()
lb = torch.optim.LBFGS(d.parameters(), lr=0.5, max_iter=2)


def closure():
    lb.zero_grad()
    l = ((d(x) - y) ** 2).mean()
    l.backward()
    return l


for _ in range(2):
    lb.step(closure)
