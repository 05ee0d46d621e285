"""Parameters converted in place through `param.data = ...`: `module.half()`
and `module.to(torch.float32)` round trip, a weight re-laid out column-major
(`w.data = w.data.t().contiguous().t()`: new strides under the same
parameter), a step, `module.to(torch.float64)` converting the parameters
and their gradients (`param.grad.data = ...`), and an input overwritten
with `x.data.copy_()`."""

import torch
from torch import nn

torch.manual_seed(0)
m = nn.Linear(3, 2)
x = torch.randn(4, 3)
m.half()
m.to(torch.float32)
m.weight.data = m.weight.data.t().contiguous().t()
loss = m(x).sum()
loss.backward()
with torch.no_grad():
    for p in m.parameters():
        p.add_(p.grad, alpha=-0.1)
m.to(torch.float64)
x.data.copy_(torch.linspace(-1.0, 1.0, 12).view(4, 3))
m.zero_grad()
loss = m(x.double()).pow(2).sum()
loss.backward()
