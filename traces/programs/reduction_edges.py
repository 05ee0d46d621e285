"""Edge cases of reduction gradients, and the fused reductions.

A one-element variance (no degrees of freedom: VarBackward0 multiplies by
`where(self == mean, nan, inf)` built from two `scalar_tensor`s), empty dim
lists (`var`, `mean`, `amax` over everything), a negative single dim kept
as given by `unsqueeze`, `max.dim` of a 0-dim tensor, `dtype=` arguments
whose gradients are cast back (`cumsum` and `prod` cast inside their
formulas, `mean` in the engine's `validate_outputs`), vector norms of
order 0.5, 1.5, 3 and -inf, float16 / bfloat16 gradients, `cumprod` through zeros;
`var_mean` / `std_mean` (VarMeanBackward0, StdMeanBackward0) and `logsumexp`
(LogsumexpBackward0; integer inputs give the default dtype).
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

# Fused moments and log-sum-exp: VarMeanBackward0 / StdMeanBackward0 add the
# mean's gradient to the spread's; LogsumexpBackward0 is grad * softmax.
spread, centre = torch.var_mean(x, dim=1, keepdim=True)
(spread.sum() + centre.sum()).backward()
spread, centre = torch.var_mean(x, dim=0)
centre.sum().backward()
deviation, centre = torch.std_mean(x, dim=-1, correction=0)
(deviation * 2 + centre).sum().backward()
torch.logsumexp(x, 1).sum().backward()
torch.logsumexp(x, (0, 1), keepdim=True).sum().backward()
long_lse = torch.logsumexp(torch.tensor([[1, 2], [3, 4]]), 1)
