"""CPU autocast regions for the capture tests: bfloat16 with a nested
`enabled=False`, a factory without tensor arguments inside, a backward
inside the region, float16 with the cache off, and a decorated function
under `no_grad`."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
lin = torch.nn.Linear(4, 3)
x = torch.randn(2, 4)
target = torch.randn(2, 3)

with torch.autocast("cpu", dtype=torch.bfloat16):
    y = lin(x)
    y2 = lin(x)
    both = torch.cat([y, y2])
    with torch.autocast("cpu", enabled=False):
        z = torch.mm(x, x.t())
    buf = torch.zeros(3)
    loss = F.mse_loss(y, target)
    loss.backward()

with torch.autocast("cpu", dtype=torch.float16, cache_enabled=False):
    h = lin(x.detach())


@torch.autocast("cpu", dtype=torch.bfloat16)
def infer(t):
    return lin(t)


with torch.no_grad():
    out = infer(x)
print(loss.item(), both.dtype, z.dtype, h.dtype, out.dtype, buf.dtype)
