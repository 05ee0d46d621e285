"""backward() from a leaf whose AccumulateGrad a live graph holds (reused),
and from a leaf without one (the engine creates it)."""
import torch

w = torch.randn(2, requires_grad=True)
y = (w * 3).sum()
w.backward(torch.ones(2))
y.backward()
v = torch.randn(2, requires_grad=True)
v.backward(torch.ones(2))
