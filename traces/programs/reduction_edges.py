"""Edge cases of reduction gradients.

A one-element variance (no degrees of freedom: VarBackward0 multiplies by
`where(self == mean, nan, inf)` built from two `scalar_tensor`s), empty dim
lists (`var`, `mean`, `amax` over everything), a negative single dim kept
as given by `unsqueeze`, `max.dim` of a 0-dim tensor, `dtype=` arguments
whose gradients are cast back (`cumsum` and `prod` cast inside their
formulas, `mean` in the engine's `validate_outputs`), vector norms of
order 0.5, 1.5, 3 and -inf, float16 / bfloat16 gradients, and `cumprod`
through zeros.
"""

import torch

torch.manual_seed(0)
x = torch.randn(3, 4, requires_grad=True)
single = torch.randn(1, requires_grad=True)
single.var().backward()
x.var(dim=[]).backward()
x.mean(dim=[]).backward()
x.amax().backward()
x.sum(-1).sum().backward()
x.std(1, keepdim=True).sum().backward()
scalar = torch.tensor(2.0, requires_grad=True)
scalar.max(0)[0].backward()
x.cumsum(1, dtype=torch.float64).sum().backward()
x.prod(dtype=torch.float64).backward()
x.mean(dtype=torch.float64).backward()
for order in (0.5, 1.5, 3.0, float("-inf")):
    torch.linalg.vector_norm(x, order).backward()
torch.linalg.vector_norm(x, dim=(0, 1), keepdim=True).sum().backward()
half = torch.randn(3, 4, dtype=torch.float16, requires_grad=True)
(half.mean() + half.max(1)[0].sum()).backward()
brain = torch.randn(2, 3, dtype=torch.bfloat16, requires_grad=True)
(brain.var(0).sum() + brain.amin(1).sum()).backward()

# cumprod through zeros: CumprodBackward0's composite path (no division by
# the zeros; the first zero's gradient from the products after it).
zeros_inside = torch.tensor([[1.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 4.0], [2.0, 3.0, 4.0, 0.5]], requires_grad=True)
(zeros_inside.cumprod(-1) * torch.arange(4.0)).sum().backward()
x.cumprod(0).sum().backward()
