"""A forecasting head that predicts a covariance matrix from a window of a
learned series, written the way fixed-point-aware and functional (no
in-place) model code writes it.

The context window is taken with `Tensor.narrow_copy` (a contiguous copy,
NarrowCopyBackward0: `slice_backward` from `start` to `start + length`),
once counted from the end of the series with a negative `start` (the
window that ends two steps before the last one), once along the
feature dimension of a transposed (non-contiguous) view. The projected
features are scaled by powers of two with `torch.ldexp`: an integer shift
per channel (a buffer, no gradient to the exponent) and a learned float
exponent (LdexpBackward0: `grad * pow(2, other)` for the features,
`grad * result * ln 2` for the exponent, the exponent's first). The
covariance's diagonal is replaced by a positive learned one with
`torch.diagonal_scatter` (DiagonalScatterBackward0: zeros of the diagonal's
size scattered into the gradient, then the gradient's diagonal), and a
batch of band corrections is written on the first super-diagonal of the
last two dimensions. Trained three Adam steps in float32; then a float64
`ldexp` with int32 shifts and its gradient, and PyTorch's refusal of a
`narrow_copy` start out of range (an IndexError, caught).
"""
# cpu-dependent-values: a matrix product's last-bit rounding differs between CPUs, and Adam divides each gradient by its own magnitude, so a near-zero gradient element moves its weight by a whole step

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(23)


class Pow2CovarianceHead(nn.Module):
    def __init__(self, length: int, features: int, k: int) -> None:
        super().__init__()
        self.series = nn.Parameter(0.5 * torch.randn(length, features))
        self.proj = nn.Linear(features, k)
        self.log2_scale = nn.Parameter(torch.tensor([0.5, -1.0, 0.0, 1.25]))
        self.register_buffer("shift", torch.tensor([1, 0, -1, 2]))
        self.raw_diag = nn.Parameter(torch.zeros(k))
        self.band = nn.Parameter(0.1 * torch.randn(2, k - 1))

    def forward(self, window: int):
        ctx = self.series.narrow_copy(0, -window - 2, window)
        feats = self.proj(ctx)
        feats = torch.ldexp(feats, self.shift)
        feats = torch.ldexp(feats, self.log2_scale)
        cov = feats.t() @ feats / window
        cov = torch.diagonal_scatter(cov, F.softplus(self.raw_diag) + 1e-3)
        banded = torch.diagonal_scatter(cov.expand(2, -1, -1), self.band, 1, 1, 2)
        return cov, banded


head = Pow2CovarianceHead(length=12, features=5, k=4)
opt = torch.optim.Adam(head.parameters(), lr=1e-2)
target = torch.eye(4) + 0.2
for step in range(3):
    cov, banded = head(window=6)
    loss = ((cov - target) ** 2).mean() + 0.1 * banded.abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

# Features of the last window taken along the feature dimension of a
# transposed view: the copy is contiguous whatever the view's strides.
cols = head.series.t().narrow_copy(1, 2, 7)
(cols.sum(0) ** 2).mean().backward()

# float64 features with int32 shifts.
x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
y = torch.ldexp(x, torch.tensor([3, -2, 0, 1], dtype=torch.int32))
(y * y).sum().backward()

try:
    head.series.narrow_copy(0, 13, 1)
except IndexError:
    pass
head.series.detach().narrow_copy(1, 1, 3).sum()
