"""A leaf used twice by one op: two edges into the same AccumulateGrad."""
import torch

x = torch.randn(4, requires_grad=True)
(x * x).sum().backward()
