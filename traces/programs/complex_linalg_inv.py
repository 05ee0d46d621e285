"""Complex matrix inverses in training: a learnable complex64 mixing
matrix kept well conditioned (`eye + 0.3 * W`) whose inverse
(`torch.linalg.inv`: `linalg_inv_ex` then `_linalg_check_errors`) unmixes
a complex signal, a batch of complex128 matrices inverted by
`torch.inverse`, and `torch.linalg.inv_ex` read with its `info`.
LinalgInvExBackward0 is `-inverse.mH @ (grad @ inverse.mH)`: each `mH`
a transpose and a `_conj` view that `mm` reads without a `clone`. The
inverse is column-major (LAPACK's layout), so `abs`'s real gradient
times its complex `sgn` is laid out from the real operand's cast copy.
Fitted by Adam."""

import torch

torch.manual_seed(0)

w = (torch.randn(4, 4, dtype=torch.cfloat) * 0.3).requires_grad_()
eye = torch.eye(4, dtype=torch.cfloat)
source = torch.randn(4, 6, dtype=torch.cfloat)
mixed = (eye + 0.2 * torch.randn(4, 4, dtype=torch.cfloat)) @ source
opt = torch.optim.Adam([w], lr=1e-2)
for _ in range(3):
    unmix = torch.linalg.inv(eye + 0.3 * w)
    loss = (unmix @ mixed - source).abs().pow(2).mean() + 0.01 * unmix.abs().sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())

a = torch.randn(2, 3, 3, dtype=torch.cdouble) + 2 * torch.eye(3, dtype=torch.cdouble)
a.requires_grad_()
inv = torch.inverse(a)
inv_ex, info = torch.linalg.inv_ex(a.detach() * 2)
(inv.real.sum() + inv.imag.pow(2).sum()).backward()
print(a.grad.abs().sum().item(), info.tolist(), inv_ex.abs().max().item())
