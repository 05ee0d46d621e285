"""Complex tensors as a family: promotion, parts, conjugation, training.

A complex64 parameter `z` is fitted so that `|z * w|` matches a real
target (a real loss of a complex parameter: `(z.abs() ** 2)`-style terms,
AbsBackward0 through `sgn`), with the conjugate bit (`z.conj()`: `_conj`,
materialized by `clone` before `mul`), `.real`/`.imag` (`view_as_real`
then `select`), mixed real/complex promotion (complex64 with float32
tensors and Python numbers, complex64 with float64 giving complex128),
`torch.complex`, division by a real tensor, `neg`, `sum`/`mean`, and
`angle` of a detached value; three Adam steps on the complex parameter,
then a complex128 computation with its own backward.
"""

import torch

torch.manual_seed(0)
z = torch.randn(3, 4, dtype=torch.complex64, requires_grad=True)
w = torch.randn(3, 4)
target = torch.rand(3, 4) + 0.5
opt = torch.optim.Adam([z], lr=0.05)
for step in range(3):
    opt.zero_grad()
    rotated = z.conj() * w
    fit = ((rotated.abs() - target) ** 2).mean()
    parts = (z.real * 2.0 + z.imag).sum()
    scaled = ((z + w) / (w.abs() + 2.0)).abs().sum()
    loss = fit + 0.01 * parts + 0.1 * scaled
    loss.backward()
    opt.step()
    print(step, loss.item())

with torch.no_grad():
    phase = z.angle()
    built = torch.complex(w, w * 0.5)
    gap = (z - built).abs().mean()
    print(phase.sum().item(), gap.item())

wide = torch.randn(2, 3, dtype=torch.float64)
promoted = z.detach()[:2, :3] * wide
print(promoted.dtype, promoted.abs().sum().item())

u = torch.randn(2, 3, dtype=torch.complex128, requires_grad=True)
energy = (u * u.conj()).real.sum() + (u * 1.5).abs().sum() - u.neg().imag.sum()
energy.backward()
print(energy.item(), u.grad.abs().sum().item())
