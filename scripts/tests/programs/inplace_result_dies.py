"""An in-place op whose result dies before the next event boundary: the
Linear's weight is initialised with `uniform_` and then replaced (as weight
tying does) before any other op runs."""

import torch

torch.manual_seed(0)
x = torch.randn(4, 2)
shared = torch.nn.Parameter(torch.zeros(3, 2))
lin = torch.nn.Linear(2, 3, bias=False)
lin.weight = shared
lin(x).sum().backward()
