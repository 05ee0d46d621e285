"""Complex cumulative and statistical reductions in training: `var` and
`std` of complex tensors (a real result: the variance of the real parts
plus that of the imaginary parts, `correction` 1 and 0), `cumsum`,
`cumprod` and `prod` over a dimension and over everything, each
differentiated: CumsumBackward0 (a reversed cumsum), CumprodBackward0 and
ProdBackward0/1 (their products and the input enter conjugated: `_conj`
views materialized by `clone`, `grad * (exclusive products).conj()`), and
VarBackward0/StdBackward0 (`2 / (n - correction) * grad * (x - mean)`, a
complex gradient of a real result). A complex64 layer with a
cumulative-product gate is fitted by SGD; then a complex128 pass with its
own backward."""

import torch

torch.manual_seed(0)

w = (torch.randn(4, 6, dtype=torch.cfloat) * 0.3).requires_grad_()
x = torch.randn(5, 4, dtype=torch.cfloat)
target = torch.randn(5, 6, dtype=torch.cfloat) * 0.5
opt = torch.optim.SGD([w], lr=1e-2, momentum=0.9)
for _ in range(3):
    h = x @ w
    gate = torch.cumprod(torch.sigmoid(h) * 0.5 + 0.75, dim=1)
    running = torch.cumsum(h, dim=0) / 5
    out = gate * running
    loss = (out - target).abs().pow(2).mean()
    loss = loss + 0.1 * h.var(dim=1).mean() + 0.05 * h.std(dim=0, correction=0).sum()
    loss = loss + 0.01 * h.prod(dim=1).abs().sum() + 0.01 * (h[0, :3] + 1).prod().abs()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())

z = torch.randn(3, 5, dtype=torch.cdouble, requires_grad=True)
stats = z.var() + z.std(dim=1, keepdim=True).sum() + z.var(dim=0, correction=0).sum()
scans = z.cumsum(-1).sum() + z.cumprod(0).sum() + z.prod(0, keepdim=True).sum()
(stats + scans.abs()).backward()
with torch.no_grad():
    print(z.grad.abs().sum().item(), z.cumprod(1).abs().max().item())
