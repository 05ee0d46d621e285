"""torch.func.jacfwd (jvp under vmap) is refused by name."""

import torch
from torch.func import jacfwd

w = torch.randn(3, 4)
jacfwd(lambda v: torch.tanh(w @ v))(torch.randn(4))
