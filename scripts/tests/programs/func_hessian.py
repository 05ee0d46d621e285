"""torch.func.hessian (jacfwd of jacrev) is refused, naming jacfwd."""

import torch
from torch.func import hessian

hessian(lambda v: v.sin().sum())(torch.randn(3))
