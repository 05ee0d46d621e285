"""Pairwise distances across dtypes, and the ones PyTorch's CPU kernels refuse.

float64 `torch.cdist` and `F.pdist` for p = 0, 0.5, 1, 2, 2.5, ∞ and the
matrix-product path, with their gradients; bfloat16 and float16 operands
on `cdist`'s matrix-product path (`compute_mode="use_mm_for_euclid_dist"`:
`_euclidean_dist` and its backward run in those dtypes) with a float32
loss. The direct kernels take float32 and float64 only: a bfloat16 or
float16 `cdist(p=1)` and `pdist` raise NotImplementedError (`"cdist" not
implemented for 'BFloat16'`), caught by the program (on detached operands), as
are the shape and negative-p errors of `cdist`.
"""

import torch
from torch.nn import functional as F

torch.manual_seed(8)

a = torch.randn(6, 4, dtype=torch.double, requires_grad=True)
b = torch.randn(5, 4, dtype=torch.double, requires_grad=True)
total = torch.zeros((), dtype=torch.double)
for p in (0.0, 0.5, 1.0, 2.0, 2.5, float("inf")):
    total = total + torch.cdist(a, b, p=p).sum() + F.pdist(a, p=p).sum()
total = total + torch.cdist(a, b, compute_mode="use_mm_for_euclid_dist").sum()
total.backward()

for dtype in (torch.bfloat16, torch.float16):
    x = torch.randn(4, 3).to(dtype).requires_grad_()
    y = torch.randn(5, 3).to(dtype)
    torch.cdist(x, y, compute_mode="use_mm_for_euclid_dist").float().sum().backward()
    try:
        torch.cdist(x.detach(), y, p=1.0)
    except NotImplementedError as err:
        print(type(err).__name__, err)
    try:
        F.pdist(x.detach())
    except NotImplementedError as err:
        print(type(err).__name__, err)

for args, kwargs in (((torch.randn(3, 2), torch.randn(3, 4)), {}), ((torch.randn(3, 2), torch.randn(3, 2)), {"p": -1.0})):
    try:
        torch.cdist(*args, **kwargs)
    except RuntimeError as err:
        print(err)
print(f"{total.item():.6f}", a.grad.abs().sum().item() > 0)
