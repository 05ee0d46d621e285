"""torch.func.linearize (jvp traced with make_fx) is refused by name."""

import torch
from torch.func import linearize

out, jvp_fn = linearize(torch.sin, torch.randn(3))
jvp_fn(torch.ones(3))
