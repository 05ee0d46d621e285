"""A parameter made from a conjugate view: the conjugate bit has no place in a tensor reference."""
import torch
import torch.nn as nn

torch.manual_seed(0)
z = torch.randn(3, dtype=torch.cfloat)
p = nn.Parameter(z.conj())
(p * torch.randn(3, dtype=torch.cfloat)).abs().sum().backward()
