"""A robust count model trained in bfloat16, float16, float32 and float64.

A small regressor predicts Poisson rates for binned counts and is trained
with the losses such models use: Huber and smooth-L1 on the residuals, a
squared error on the log-rates, an entropy bonus on the bin mixture
(`special.entr`), the Poisson log-likelihood term `xlogy(k, rate)` /
`xlog1py` and a multivariate log-gamma dispersion term (`mvlgamma`). Bins come from `div(..., rounding_mode="trunc"/"floor")` and a
per-row geometric mean from `prod` over rows long enough for PyTorch's
vectorised product (four vectors of lanes) and a whole-tensor `prod`.

PyTorch rounds these kernels step by step in the dtype where its scalar
loops run on the dtype (the half types' logarithm before the product, the
difference before squaring, a half-type quotient before `trunc`), in
float where its kernel converts first (bfloat16 `smooth_l1_loss`, float16
`huber_loss`; the half types' `mvlgamma` sums its rounded `lgamma`s in
float), and multiplies `prod` in its vector kernel's lane order.
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(11)


class RateModel(nn.Module):
    def __init__(self, features: int, bins: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(features, 32)
        self.rate = nn.Linear(32, bins)
        self.mix = nn.Linear(32, bins)

    def forward(self, x: torch.Tensor):
        h = torch.tanh(self.hidden(x))
        return F.softplus(self.rate(h)) + 0.05, torch.softmax(self.mix(h), dim=-1)


def train(dtype: torch.dtype, steps: int) -> None:
    features, bins, batch = 10, 72, 10
    model = RateModel(features, bins).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for step in range(steps):
        x = torch.randn(batch, features).to(dtype)
        counts = torch.poisson(torch.rand(batch, bins) * 4).to(dtype)
        rate, mix = model(x)
        residual_bins = torch.div(counts - rate, 0.7, rounding_mode="trunc")
        floor_bins = torch.div(counts, rate.detach() + 0.5, rounding_mode="floor")
        trunc_bins = torch.div(counts, rate.detach() + 0.5, rounding_mode="trunc")
        nll = (rate - torch.xlogy(counts, rate)).mean()
        smooth = F.smooth_l1_loss(rate, counts, beta=0.7, reduction="none").mean()
        huber = F.huber_loss(rate, counts, delta=0.7, reduction="none").mean() + F.huber_loss(rate, counts, delta=0.3)
        log_err = F.mse_loss(torch.log(rate), torch.log1p(counts), reduction="none").mean()
        tail = torch.special.xlog1py(counts, rate - 0.04).mean()
        entropy = torch.special.entr(mix).sum(-1).mean()
        spread = (rate * 0.1 + 0.95).prod(dim=1).mean() + (mix.detach() + 0.99).prod()
        dispersion = torch.mvlgamma(rate * 4 + 2.5, 3).mean()
        loss = nll + smooth + huber + 0.1 * log_err - 0.01 * tail - 0.01 * entropy + 0.001 * spread
        loss = loss + 0.001 * dispersion
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(
            f"{dtype} step {step}: loss {loss.item():.4f} "
            f"bins {int(residual_bins.abs().sum())} {int(floor_bins.sum())} {int(trunc_bins.sum())}"
        )


for dtype, steps in ((torch.bfloat16, 2), (torch.float16, 2), (torch.float32, 1), (torch.float64, 1)):
    train(dtype, steps)
