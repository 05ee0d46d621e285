"""Modified Bessel features in float16, bfloat16 and float32, with gradients.

A von Mises angle encoder: for learnable concentrations `kappa` the
log-normaliser `log(2π I0(κ))` is computed stably as `log(i0e(κ)) + κ`,
the mean resultant length as `i1e(κ) / i0e(κ)`, and a Kaiser-style taper
uses `i0(β·sqrt(1 - t²)) / i0(β)`; `special_i1` enters an order-one
feature. The feature tensors hold 45 elements (not a multiple of 32), so
in the half types PyTorch's CPU loop computes the last 13 of each
`special_i0e` in its scalar loop, which evaluates the Chebyshev series in
the dtype's own arithmetic (bfloat16 `i0e(0)` is 0.9921875 there) while
the first 32 are widened to float; float32 evaluates the series with
fused multiply-adds. The backward runs I0Backward0 (`i1`),
SpecialI0EBackward0 (`i1e`, `sgn`), SpecialI1Backward0 and
SpecialI1EBackward0 (`i0` / `i0e` of a guarded `self`).
"""

import math

import torch

torch.manual_seed(11)


def features(kappa: torch.Tensor, beta: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    i0e = torch.special.i0e(kappa)
    log_norm = torch.log(i0e) + kappa + math.log(2 * math.pi)
    resultant = torch.special.i1e(kappa) / i0e
    taper = torch.i0(beta * torch.sqrt(1 - t * t)) / torch.i0(beta)
    order_one = torch.special.i1(0.25 * kappa)
    return torch.stack([log_norm, resultant, taper, order_one])


def run(dtype: torch.dtype) -> None:
    # concentrations over both branches of the series (|x| <= 8 and > 8),
    # including exact zeros and negatives in the tail
    kappa = torch.cat([torch.linspace(-12.0, 20.0, 40), torch.tensor([0.0, -0.5, 1.25, 7.3, 8.6])])
    kappa = (kappa + 0.01 * torch.randn(45)).to(dtype).requires_grad_()
    beta = torch.full((45,), 6.0, dtype=dtype).requires_grad_()
    t = torch.linspace(-0.95, 0.95, 45).to(dtype)
    feats = features(kappa, beta, t)
    weights = torch.randn(4, 45).to(dtype)
    loss = (feats * weights).sum()
    loss.backward()
    print(f"{dtype}: loss {loss.item():.4f}, |dkappa| {kappa.grad.abs().sum().item():.4f}")
    # the raw scaled functions at zero and in the scalar remainder
    probe = torch.cat([torch.zeros(32), torch.linspace(-9.0, 9.0, 13)]).to(dtype)
    print(dtype, torch.special.i0e(probe)[-13:].tolist())


for dtype in (torch.float16, torch.bfloat16, torch.float32):
    run(dtype)
