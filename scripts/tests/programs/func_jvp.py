"""torch.func.jvp (forward-mode AD) is refused by name."""

import torch
from torch.func import jvp

x = torch.randn(3)
jvp(torch.sin, (x,), (torch.ones(3),))
