"""Op results discarded at once: each op still created a node.

`h.relu()` and `h + 1` are bare statements and `net(x)` is a module call
whose result is dropped: their outputs die as soon as the op returns (relu's
lives on in its node, which saved it). `h` stays alive and keeps the
parameters' and x's AccumulateGrad nodes alive, so the dropped graphs reuse
them instead of creating new ones.
"""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(4, 3, requires_grad=True)
net = nn.Linear(3, 2)
h = net(x)
h.relu()
h + 1
net(x)
loss = (h * 2).sum()
loss.backward()
