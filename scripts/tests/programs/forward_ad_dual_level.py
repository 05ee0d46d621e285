"""Plain forward AD (a dual level, make_dual, unpack_dual) is refused by name."""

import torch
import torch.autograd.forward_ad as fwAD

x = torch.randn(3)
with fwAD.dual_level():
    y = fwAD.make_dual(x, torch.ones(3)).sin()
    primal, tangent = fwAD.unpack_dual(y)
print(tangent.tolist())
